#include "edge/store/model_store.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "edge/crypto/hex.h"
#include "edge/crypto/keys.h"
#include "edge/image/image_builder.h"
#include "edge/testing/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::store {
namespace {

using ::edge::testing::CountFiles;

using ::testing::HasSubstr;

std::string MakeTempDir() { return edge::testing::MakeTempDir("edge_store_test"); }

std::string Sha(absl::string_view bytes) {
  crypto::Sha256 h;
  h.Update(bytes.data(), bytes.size());
  return crypto::FinishHex(h);
}

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    (void)system(("rm -rf " + dir_).c_str());
  }
  void Reopen(uint64_t max = 1 << 20, bool allow_unsigned = true) {
    store_.reset();
    StoreOptions o;
    o.data_dir = dir_;
    o.max_model_bytes = max;
    o.allow_unsigned = allow_unsigned;
    o.trusted_keys = trusted_;
    absl::StatusOr<std::unique_ptr<ModelStore>> s = ModelStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  absl::StatusOr<ModelRecord> Put(const std::string& name, const std::string& bytes,
                                  const std::string& version = "", bool declare_sha = true) {
    UploadMeta meta;
    meta.name = name;
    meta.version = version;
    meta.size = bytes.size();
    if (declare_sha) meta.sha256 = Sha(bytes);
    absl::StatusOr<std::unique_ptr<Upload>> u = store_->BeginUpload(meta);
    if (!u.ok()) return u.status();
    // Feed in uneven chunks.
    for (size_t off = 0; off < bytes.size();) {
      size_t n = std::min<size_t>(7 + off % 13, bytes.size() - off);
      if (absl::Status s = (*u)->Append(bytes.substr(off, n)); !s.ok()) return s;
      off += n;
    }
    return (*u)->Commit();
  }
  std::string ReadBlob(const ModelRecord& m) {
    absl::StatusOr<std::unique_ptr<BlobReader>> r = store_->OpenBlob(m);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return "";
    std::string all, chunk;
    do {
      EXPECT_TRUE((*r)->Read(100, &chunk).ok());
      all += chunk;
    } while (!chunk.empty());
    return all;
  }

  std::string dir_;
  std::vector<crypto::P256PublicKey> trusted_;
  std::unique_ptr<ModelStore> store_;
};

TEST_F(ModelStoreTest, UploadCommitsContentAddressedBlob) {
  const std::string bytes = "hello model bytes, not a real efm";
  absl::StatusOr<ModelRecord> m = Put("mnist", bytes);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->id, Sha(bytes));
  EXPECT_EQ(m->version, "1");
  EXPECT_EQ(m->size, bytes.size());
  EXPECT_EQ(m->kind, ModelKind::kOther);
  std::ifstream f(dir_ + "/blobs/sha256/" + m->id);
  std::string on_disk((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(on_disk, bytes);
  EXPECT_EQ(ReadBlob(*m), bytes);
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  EXPECT_TRUE(store_->CheckConsistency().ok());
}

TEST_F(ModelStoreTest, SameContentSameNameIsIdempotent) {
  absl::StatusOr<ModelRecord> a = Put("m", "abcdef");
  absl::StatusOr<ModelRecord> b = Put("m", "abcdef");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(b->version, "1");
  absl::StatusOr<ListPage> page = store_->List({});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->models.size(), 1u);
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
}

TEST_F(ModelStoreTest, VersionsAutoIncrementAndNameResolvesToLatest) {
  ASSERT_TRUE(Put("m", "one").ok());
  ASSERT_TRUE(Put("m", "two").ok());
  ASSERT_TRUE(Put("m", "three", "7").ok());
  ASSERT_TRUE(Put("m", "four").ok());
  absl::StatusOr<ModelRecord> latest = store_->Get("m");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, "8");
  absl::StatusOr<ModelRecord> v2 = store_->Get("m@2");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->id, Sha("two"));
  absl::StatusOr<ModelRecord> by_prefix = store_->Get(Sha("two").substr(0, 10));
  ASSERT_TRUE(by_prefix.ok());
  EXPECT_EQ(by_prefix->version, "2");
}

TEST_F(ModelStoreTest, NameVersionTakenByOtherContentIsAlreadyExists) {
  ASSERT_TRUE(Put("m", "one", "1.0").ok());
  absl::StatusOr<ModelRecord> dup = Put("m", "other", "1.0");
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.status().message(), HasSubstr("m@1.0"));
  // Also when the sha is not declared (detected at commit, temp file removed).
  dup = Put("m", "other", "1.0", /*declare_sha=*/false);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), 1);
}

TEST_F(ModelStoreTest, SameContentUnderAnotherNameIsAlreadyExists) {
  ASSERT_TRUE(Put("a", "same").ok());
  absl::StatusOr<ModelRecord> b = Put("b", "same");
  EXPECT_EQ(b.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(b.status().message(), HasSubstr("a@1"));
}

TEST_F(ModelStoreTest, BadNamesAreInvalidArgumentNamingTheField) {
  for (const std::string& bad : {std::string(""), std::string(129, 'a'), std::string("-x"),
                                 std::string("a/b"), std::string("a b"), std::string("a@b")}) {
    absl::StatusOr<ModelRecord> m = Put(bad, "x");
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(m.status().message(), HasSubstr("header.name")) << bad;
  }
  EXPECT_TRUE(Put(std::string(128, 'a'), "x").ok());
  absl::StatusOr<ModelRecord> v = Put("ok", "y", "bad/version");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("header.version"));
}

TEST_F(ModelStoreTest, SizeAndShaMismatchesLeaveNothingBehind) {
  UploadMeta meta{"m", "", 10, "", ModelKind::kUnspecified};
  auto u = store_->BeginUpload(meta);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE((*u)->Append("12345").ok());
  absl::StatusOr<ModelRecord> short_commit = (*u)->Commit();
  EXPECT_EQ(short_commit.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_commit.status().message(), HasSubstr("header.size"));

  u = store_->BeginUpload(meta);
  ASSERT_TRUE(u.ok());
  absl::Status over = (*u)->Append("12345678901");
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(over.message(), HasSubstr("header.size"));

  meta.size = 3;
  meta.sha256 = Sha("abd");
  u = store_->BeginUpload(meta);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE((*u)->Append("abc").ok());
  absl::StatusOr<ModelRecord> bad_sha = (*u)->Commit();
  EXPECT_EQ(bad_sha.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_sha.status().message(), HasSubstr("header.sha256"));

  meta.sha256 = "xyz";
  EXPECT_EQ(store_->BeginUpload(meta).status().code(), absl::StatusCode::kInvalidArgument);
  meta.sha256 = "";
  meta.size = 0;
  EXPECT_EQ(store_->BeginUpload(meta).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), 0);
  EXPECT_TRUE(store_->List({})->models.empty());
}

TEST_F(ModelStoreTest, OverLimitIsResourceExhausted) {
  Reopen(/*max=*/100);
  UploadMeta meta{"big", "", 101, "", ModelKind::kUnspecified};
  absl::StatusOr<std::unique_ptr<Upload>> u = store_->BeginUpload(meta);
  EXPECT_EQ(u.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(u.status().message(), HasSubstr("max_model_bytes"));
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
}

TEST_F(ModelStoreTest, KindIsSniffedAndMustAgree) {
  // Image magic: verified as an image even where unsigned content is allowed, so a broken one
  // is refused.
  std::string image = std::string("\x3d\xb8\xf3\x96", 4) + std::string(60, '\0');
  absl::StatusOr<ModelRecord> m = Put("img", image);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("malformed signed image"));
  EXPECT_EQ(SniffKind(image), ModelKind::kImage);
  EXPECT_EQ(SniffKind(std::string("\x10\0\0\0EFM0", 8)), ModelKind::kEfm);
  UploadMeta meta{"x", "", 5, "", ModelKind::kImage};
  auto u = store_->BeginUpload(meta);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE((*u)->Append("plain").ok());
  EXPECT_EQ((*u)->Commit().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelStoreTest, AbortAndDestroyRemoveTempFile) {
  UploadMeta meta{"m", "", 10, "", ModelKind::kUnspecified};
  {
    auto u = store_->BeginUpload(meta);
    ASSERT_TRUE(u.ok());
    ASSERT_TRUE((*u)->Append("12345").ok());
    EXPECT_EQ(CountFiles(dir_ + "/tmp"), 1);
  }
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  auto u = store_->BeginUpload(meta);
  ASSERT_TRUE(u.ok());
  store_->AbortAllUploads();
  absl::Status s = (*u)->Append("1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("shutting down"));
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
}

TEST_F(ModelStoreTest, UnknownRefIsNotFound) {
  EXPECT_EQ(store_->Get("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("nope@1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get(std::string(64, 'a')).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("nope", false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Get("bad name").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelStoreTest, ReferencedModelRefusesDeleteUnlessForced) {
  absl::StatusOr<ModelRecord> m = Put("m", "content");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(store_->AddReference(m->id, "pipeline:lowpass").ok());
  EXPECT_EQ(store_->AddReference(std::string(64, 'b'), "x").code(), absl::StatusCode::kNotFound);
  absl::StatusOr<ModelRecord> del = store_->Delete("m", false);
  EXPECT_EQ(del.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(del.status().message(), HasSubstr("pipeline:lowpass"));
  EXPECT_TRUE(store_->Get("m").ok());
  ASSERT_TRUE(store_->Delete("m", true).ok());
  EXPECT_EQ(store_->Get("m").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), 0);
  EXPECT_TRUE(store_->CheckConsistency().ok());
}

TEST_F(ModelStoreTest, CorruptBlobIsDataLossAndNotServed) {
  absl::StatusOr<ModelRecord> m = Put("m", "original content here");
  ASSERT_TRUE(m.ok());
  {
    std::fstream f(dir_ + "/blobs/sha256/" + m->id,
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('X');
  }
  absl::StatusOr<std::unique_ptr<BlobReader>> r = store_->OpenBlob(*m);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("corrupt"));
  EXPECT_EQ(store_->CheckConsistency().code(), absl::StatusCode::kDataLoss);
  unlink((dir_ + "/blobs/sha256/" + m->id).c_str());
  EXPECT_EQ(store_->OpenBlob(*m).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(ModelStoreTest, ListPagesAndFilters) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(Put(i % 2 ? "odd" : "even", "content" + std::to_string(i)).ok());
  }
  ListQuery q;
  q.page_size = 3;
  std::vector<std::string> seen;
  while (true) {
    absl::StatusOr<ListPage> p = store_->List(q);
    ASSERT_TRUE(p.ok()) << p.status();
    for (auto& m : p->models) seen.push_back(m.name + "@" + m.version);
    if (p->next_page_token.empty()) break;
    EXPECT_EQ(p->models.size(), 3u);
    q.page_token = p->next_page_token;
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("even@1", "odd@1", "even@2", "odd@2", "even@3", "odd@3",
                                           "even@4"));
  ListQuery f;
  f.name_filter = "od*";
  EXPECT_EQ(store_->List(f)->models.size(), 3u);
  f.name_filter = "odd";
  EXPECT_EQ(store_->List(f)->models.size(), 3u);
  ListQuery bad;
  bad.page_token = "garbage";
  EXPECT_EQ(store_->List(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad.page_token = "";
  bad.page_size = 5000;
  EXPECT_EQ(store_->List(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelStoreTest, ReopenKeepsModelsAndCleansLeftovers) {
  absl::StatusOr<ModelRecord> m = Put("m", "durable");
  ASSERT_TRUE(m.ok());
  store_.reset();
  // Leftovers a crash could leave: a temp file and an orphan blob.
  std::ofstream(dir_ + "/tmp/upload-999-1") << "partial";
  std::ofstream(dir_ + "/blobs/sha256/" + std::string(64, 'c')) << "orphan";
  Reopen();
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), 1);
  absl::StatusOr<ModelRecord> again = store_->Get("m");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ReadBlob(*again), "durable");
  EXPECT_TRUE(store_->CheckConsistency().ok());
}

TEST_F(ModelStoreTest, ConcurrentUploadsOfSameContentYieldOneModel) {
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<ModelRecord>> results(8, absl::UnknownError(""));
  const std::string bytes(100000, 'z');
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { results[i] = Put("same", bytes); });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->version, "1");
  }
  EXPECT_EQ(store_->List({})->models.size(), 1u);
  EXPECT_TRUE(store_->CheckConsistency().ok());
}

TEST_F(ModelStoreTest, NewerSchemaIsRefused) {
  store_.reset();
  ASSERT_EQ(system(("sqlite3 " + dir_ +
                    "/edged.db 'PRAGMA user_version=99' 2>/dev/null || "
                    "python3 -c \"import sqlite3; c=sqlite3.connect('" +
                    dir_ + "/edged.db'); c.execute('PRAGMA user_version=99'); c.commit()\"")
                       .c_str()),
            0);
  StoreOptions o;
  o.data_dir = dir_;
  EXPECT_EQ(ModelStore::Open(o).status().code(), absl::StatusCode::kFailedPrecondition);
}

std::string Fixture(const std::string& name) {
  std::ifstream in(EDGE_SOURCE_DIR "/tests/fixtures/image/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class SignedStoreTest : public ModelStoreTest {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    trusted_.push_back(*crypto::PublicKeyFromPem(Fixture("pub.pem")));
    Reopen(1 << 20, /*allow_unsigned=*/false);
  }
  std::string Sign(const std::string& payload, const std::string& version, uint32_t counter) {
    absl::StatusOr<crypto::P256PrivateKey> key =
        crypto::P256PrivateKey::FromPem(Fixture("key.pem"));
    image::SignOptions o;
    o.version = *image::ParseVersion(version);
    o.security_counter = counter;
    o.model_name = "lowpass";
    return *image::BuildSignedImage(payload, o, *key);
  }
};

TEST_F(SignedStoreTest, UnsignedContentIsRefusedUnlessAllowed) {
  absl::StatusOr<ModelRecord> m = Put("plain", "just some bytes");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(m.status().message(), HasSubstr("edgectl sign"));
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  Reopen(1 << 20, /*allow_unsigned=*/true);
  m = Put("plain", "just some bytes");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->signature.status, SignatureStatus::kUnsigned);
}

TEST_F(SignedStoreTest, TrustedImageIsStoredWithWhatWasVerified) {
  absl::StatusOr<ModelRecord> m = Put("lowpass", Fixture("signed.bin"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->kind, ModelKind::kImage);
  EXPECT_EQ(m->version, "1.2.3+4");
  const SignatureRecord& g = m->signature;
  EXPECT_EQ(g.status, SignatureStatus::kVerified);
  EXPECT_EQ(g.key_hash, "dcd0aeebcf5fd41f278b09357e8c57f10d60fa1ab1ea181f389b7b9e7955fe24");
  EXPECT_TRUE(g.has_security_counter);
  EXPECT_EQ(g.security_counter, 7u);
  EXPECT_EQ(g.model_name, "lowpass");
  EXPECT_EQ(g.efm_version, 1u);
  EXPECT_EQ(g.arena_bytes, 4096u);
  EXPECT_EQ(g.opset_hex, "05000080");
  // It survives a reopen.
  Reopen(1 << 20, false);
  absl::StatusOr<ModelRecord> again = store_->Get("lowpass");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->signature.key_hash, g.key_hash);
  EXPECT_EQ(again->signature.security_counter, 7u);
}

TEST_F(SignedStoreTest, UntrustedTamperedOrMisnamedImagesAreRefused) {
  absl::StatusOr<ModelRecord> m = Put("lowpass", Fixture("signed_other_key.bin"));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(m.status().message(), HasSubstr("not trusted"));
  std::string tampered = Fixture("signed.bin");
  tampered[600] ^= 0x20;
  m = Put("lowpass", tampered);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(m.status().message(), HasSubstr("SHA-256"));
  m = Put("lowpass", Fixture("signed.bin").substr(0, 3000));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("truncated"));
  EXPECT_THAT(m.status().message(), HasSubstr("edgectl sign"));
  m = Put("other-name", Fixture("signed.bin"));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("lowpass"));
  m = Put("lowpass", Fixture("signed.bin"), "9.9.9");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
  EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), 0);
}

TEST_F(SignedStoreTest, LowerSecurityCounterIsRefused) {
  ASSERT_TRUE(Put("lowpass", Sign("v5 model", "1.0.5", 5)).ok());
  absl::StatusOr<ModelRecord> down = Put("lowpass", Sign("v3 model", "1.0.3", 3));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(down.status().message(), HasSubstr("downgrade refused: security counter 3"));
  EXPECT_TRUE(Put("lowpass", Sign("another v5 build", "1.0.5+1", 5)).ok());
  EXPECT_TRUE(Put("lowpass", Sign("v6 model", "1.0.6", 6)).ok());
  EXPECT_EQ(CountFiles(dir_ + "/blobs/sha256"), 3);
  // An image without a name TLV (as imgtool makes them) is filed under the upload's name and
  // checked against that name's counters (its 65536 is above the 6 stored).
  absl::StatusOr<ModelRecord> nameless = Put("lowpass", Fixture("signed_hdr32.bin"));
  EXPECT_TRUE(nameless.ok()) << nameless.status();
  EXPECT_EQ(nameless->signature.model_name, "");
  EXPECT_EQ(nameless->version, "0.0.1");
}

TEST_F(SignedStoreTest, ImageWithoutCounterAfterOneWithIsADowngrade) {
  ASSERT_TRUE(Put("lowpass", Sign("v5 model", "1.0.5", 5)).ok());
  absl::StatusOr<crypto::P256PrivateKey> key = crypto::P256PrivateKey::FromPem(Fixture("key.pem"));
  ASSERT_TRUE(key.ok());
  image::SignOptions o;
  o.version = *image::ParseVersion("9.0.0");
  o.write_security_counter = false;  // as imgtool signs without -s
  o.model_name = "lowpass";
  absl::StatusOr<std::string> img = image::BuildSignedImage("old build, no counter", o, *key);
  ASSERT_TRUE(img.ok());
  absl::StatusOr<ModelRecord> m = Put("lowpass", *img);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(m.status().message(), HasSubstr("security counter 0 is lower than 5"));
}

TEST_F(SignedStoreTest, ImagesFromOtherMcubootToolsAreAccepted) {
  // No protected TLVs at all (no model name, no security counter), as `imgtool sign` without
  // -s makes them: filed under the upload's name, counter treated as 0.
  absl::StatusOr<ModelRecord> m = Put("plain-mcuboot", Fixture("unprotected_only.bin"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->version, "2.0.0");
  EXPECT_EQ(m->signature.status, SignatureStatus::kVerified);
  EXPECT_FALSE(m->signature.has_security_counter);
}

TEST_F(SignedStoreTest, SecondStoreOnTheSameFolderIsRefused) {
  StoreOptions o;
  o.data_dir = dir_;
  absl::StatusOr<std::unique_ptr<ModelStore>> second = ModelStore::Open(o);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another edged"));
}

TEST_F(SignedStoreTest, UploadsAfterShutdownBeganAreUnavailable) {
  store_->AbortAllUploads();
  UploadMeta meta{"lowpass", "", 10, "", ModelKind::kUnspecified};
  absl::StatusOr<std::unique_ptr<Upload>> u = store_->BeginUpload(meta);
  EXPECT_EQ(u.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CountFiles(dir_ + "/tmp"), 0);
}

TEST(StoreMigration, VersionOneDatabaseIsMigratedKeepingItsModels) {
  std::string dir = MakeTempDir();
  // A store as the first schema left it: one model row and its blob.
  const std::string id = crypto::Sha256Hex("old bytes");
  ASSERT_EQ(system(("mkdir -p " + dir + "/blobs/sha256 && printf 'old bytes' > " + dir +
                    "/blobs/sha256/" + id)
                       .c_str()),
            0);
  {
    std::ofstream sql(dir + "/v1.sql");
    sql << "CREATE TABLE models(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
           "name TEXT NOT NULL, version TEXT NOT NULL, size INTEGER NOT NULL, kind INTEGER NOT "
           "NULL, created_us INTEGER NOT NULL, UNIQUE(name, version));\n"
           "CREATE TABLE model_refs(model_id TEXT NOT NULL REFERENCES models(id) ON DELETE "
           "CASCADE, holder TEXT NOT NULL, PRIMARY KEY(model_id, holder));\n"
           "INSERT INTO models(id,name,version,size,kind,created_us) VALUES('"
        << id << "','old','1',9,4,1);\nPRAGMA user_version=1;\n";
  }
  ASSERT_EQ(system(("sqlite3 " + dir + "/edged.db < " + dir + "/v1.sql").c_str()), 0);
  unlink((dir + "/v1.sql").c_str());
  StoreOptions o;
  o.data_dir = dir;
  absl::StatusOr<std::unique_ptr<ModelStore>> store = ModelStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<ModelRecord> m = (*store)->Get("old");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->id, id);
  EXPECT_EQ(m->signature.status, SignatureStatus::kUnsigned);
  EXPECT_FALSE(m->signature.has_security_counter);
  EXPECT_TRUE((*store)->CheckConsistency().ok());
  store->reset();
  (void)system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace edge::store
