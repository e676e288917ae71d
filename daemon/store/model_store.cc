#include "edge/store/model_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "edge/crypto/hex.h"
#include "edge/image/image_builder.h"
#include "edge/store/sqlite.h"
#include "spdlog/spdlog.h"

namespace edge::store {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kSniffBytes = 8;
constexpr uint64_t kWritebackBytes = 4 << 20;

// Schema migrations: entry i takes the database from version i to i+1. Append only.
constexpr const char* kMigrations[] = {
    // 0 -> 1: models and references.
    R"sql(
    CREATE TABLE models(
      seq        INTEGER PRIMARY KEY AUTOINCREMENT,
      id         TEXT NOT NULL UNIQUE,
      name       TEXT NOT NULL,
      version    TEXT NOT NULL,
      size       INTEGER NOT NULL,
      kind       INTEGER NOT NULL,
      created_us INTEGER NOT NULL,
      UNIQUE(name, version));
    CREATE TABLE model_refs(
      model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
      holder   TEXT NOT NULL,
      PRIMARY KEY(model_id, holder));
    )sql",
    // 1 -> 2: what the gateway verified about signed images.
    R"sql(
    ALTER TABLE models ADD COLUMN sig_status INTEGER NOT NULL DEFAULT 2;
    ALTER TABLE models ADD COLUMN key_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE models ADD COLUMN security_counter INTEGER;
    ALTER TABLE models ADD COLUMN image_version TEXT NOT NULL DEFAULT '';
    ALTER TABLE models ADD COLUMN model_name TEXT NOT NULL DEFAULT '';
    ALTER TABLE models ADD COLUMN efm_version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE models ADD COLUMN arena_bytes INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE models ADD COLUMN opset TEXT NOT NULL DEFAULT '';
    ALTER TABLE models ADD COLUMN payload_sha256 TEXT NOT NULL DEFAULT '';
    )sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == ModelStore::kSchemaVersion);

absl::Status ErrnoStatus(absl::string_view what, const std::string& path, int err = errno) {
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(msg);
  if (err == EACCES || err == EPERM || err == EROFS) return absl::FailedPreconditionError(msg);
  return absl::UnavailableError(msg);
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", path);
  return absl::OkStatus();
}

absl::Status FsyncDir(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open dir", path);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoStatus("fsync dir", path, err);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(std::move(name));
  }
  closedir(d);
  return out;
}

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-'; }

bool IsHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Hashes a whole file; returns its hex digest and size.
absl::StatusOr<std::pair<std::string, uint64_t>> HashFd(int fd, const std::string& path) {
  crypto::Sha256 hash;
  std::string buf(1 << 20, '\0');
  uint64_t total = 0;
  while (true) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path);
    }
    if (n == 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  return std::make_pair(crypto::FinishHex(hash), total);
}

constexpr const char* kSelectColumns =
    "SELECT seq, id, name, version, size, kind, created_us, sig_status, key_hash, "
    "security_counter, image_version, model_name, efm_version, arena_bytes, opset, "
    "payload_sha256 FROM models";

ModelRecord RowToRecord(const Statement& st) {
  ModelRecord m;
  m.id = st.ColumnText(1);
  m.name = st.ColumnText(2);
  m.version = st.ColumnText(3);
  m.size = static_cast<uint64_t>(st.ColumnInt(4));
  m.kind = static_cast<ModelKind>(st.ColumnInt(5));
  m.created_unix_micros = st.ColumnInt(6);
  SignatureRecord& g = m.signature;
  g.status = static_cast<SignatureStatus>(st.ColumnInt(7));
  g.key_hash = st.ColumnText(8);
  g.has_security_counter = !st.ColumnIsNull(9);
  g.security_counter = static_cast<uint32_t>(st.ColumnInt(9));
  g.image_version = st.ColumnText(10);
  g.model_name = st.ColumnText(11);
  g.efm_version = static_cast<uint32_t>(st.ColumnInt(12));
  g.arena_bytes = static_cast<uint32_t>(st.ColumnInt(13));
  g.opset_hex = st.ColumnText(14);
  g.payload_sha256 = st.ColumnText(15);
  return m;
}

}  // namespace

absl::string_view ModelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kEfm:
      return "efm";
    case ModelKind::kImage:
      return "image";
    case ModelKind::kPlugin:
      return "plugin";
    case ModelKind::kOther:
      return "other";
    case ModelKind::kUnspecified:
      break;
  }
  return "unspecified";
}

ModelKind SniffKind(absl::string_view head) {
  // MCUboot image header: magic 0x96f3b83d, little-endian.
  if (head.size() >= 4 && static_cast<uint8_t>(head[0]) == 0x3d &&
      static_cast<uint8_t>(head[1]) == 0xb8 && static_cast<uint8_t>(head[2]) == 0xf3 &&
      static_cast<uint8_t>(head[3]) == 0x96) {
    return ModelKind::kImage;
  }
  // FlatBuffers file identifier of the .efm schema sits at bytes 4..7.
  if (head.size() >= 8 && head.substr(4, 4) == "EFM0") return ModelKind::kEfm;
  return ModelKind::kUnspecified;
}

absl::Status ValidateName(absl::string_view name, absl::string_view field) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (name.size() > ModelStore::kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", name.size(), " bytes long; the maximum is ", ModelStore::kMaxNameBytes));
  }
  if (!absl::ascii_isalnum(name[0]) || !std::all_of(name.begin(), name.end(), IsNameChar)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", absl::CHexEscape(name),
        "\" is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit"));
  }
  return absl::OkStatus();
}

absl::Status ValidateVersion(absl::string_view version, absl::string_view field) {
  if (version.empty()) return absl::OkStatus();
  if (version.size() > ModelStore::kMaxVersionBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", version.size(),
                                                   " bytes long; the maximum is ",
                                                   ModelStore::kMaxVersionBytes));
  }
  if (!absl::ascii_isalnum(version[0]) || !std::all_of(version.begin(), version.end(), [](char c) {
        return IsNameChar(c) || c == '+';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", absl::CHexEscape(version),
                     "\" is not valid: use letters, digits, '.', '_', '-' and '+'"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Upload

Upload::Upload(ModelStore* store, UploadMeta meta, std::string temp_path, int fd,
               std::function<void()> on_shutdown)
    : store_(store),
      meta_(std::move(meta)),
      temp_path_(std::move(temp_path)),
      fd_(fd),
      on_shutdown_(std::move(on_shutdown)) {}

Upload::~Upload() {
  Abort();
  store_->Unregister(this);
}

void Upload::CloseAndRemoveLocked() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  unlink(temp_path_.c_str());
}

bool Upload::Abort(absl::Status why) {
  absl::MutexLock lock(&mu_);
  if (done_) return false;
  done_ = true;
  abort_status_ = std::move(why);
  CloseAndRemoveLocked();
  return true;
}

// Trust failures (unsigned, unknown signer, bad signature, content that doesn't match its
// signed digest) are PERMISSION_DENIED; an image that isn't well-formed is INVALID_ARGUMENT.
static absl::Status ImageRefused(const image::ImageVerifier& v) {
  using image::ImageError;
  const std::string why = image::ImageErrorText(v.error());
  switch (v.error()) {
    case ImageError::kUntrustedKey:
      return absl::PermissionDeniedError(
          absl::StrCat("signed image refused: ", why,
                       "; add the signer's public key to trusted_keys in the edged config"));
    case ImageError::kMissingSignature:
    case ImageError::kMissingKeyHash:
    case ImageError::kBadSignature:
    case ImageError::kHashMismatch:
      return absl::PermissionDeniedError(absl::StrCat("signed image refused: ", why));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("malformed signed image: ", why, "; re-create it with `edgectl sign`"));
  }
}

absl::Status Upload::CheckContent(const std::string& bytes) {
  if (!content_checked_) {
    std::string probe = head_ + bytes.substr(0, 4);
    if (probe.size() < 4 && received_ + bytes.size() < meta_.size) return absl::OkStatus();
    content_checked_ = true;
    if (SniffKind(probe) == ModelKind::kImage) {
      verifier_ = std::make_unique<image::ImageVerifier>();
      // head_ holds every byte received so far (fewer than 4).
      (void)verifier_->Update(reinterpret_cast<const uint8_t*>(head_.data()), head_.size());
    } else if (!store_->allow_unsigned()) {
      return absl::PermissionDeniedError(
          "unsigned model refused: this gateway accepts only signed images; sign it with "
          "`edgectl sign FILE -k KEY --version V -o FILE.bin` (or set allow_unsigned: true in "
          "the edged config, for development only)");
    }
  }
  if (verifier_ != nullptr &&
      !verifier_->Update(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).ok()) {
    return ImageRefused(*verifier_);
  }
  return absl::OkStatus();
}

absl::Status Upload::Append(std::string bytes) {
  absl::MutexLock lock(&mu_);
  if (done_)
    return abort_status_.ok() ? absl::FailedPreconditionError("upload already ended")
                              : abort_status_;
  if (bytes.size() > meta_.size - received_) {
    absl::Status s = absl::InvalidArgumentError(absl::StrCat(
        "chunk: received more than the declared header.size of ", meta_.size, " bytes"));
    done_ = true;
    CloseAndRemoveLocked();
    return s;
  }
  if (absl::Status s = CheckContent(bytes); !s.ok()) {
    done_ = true;
    CloseAndRemoveLocked();
    return s;
  }
  if (absl::Status s = WriteAll(fd_, bytes.data(), bytes.size(), temp_path_); !s.ok()) {
    done_ = true;
    CloseAndRemoveLocked();
    return s;
  }
  if (head_.size() < kSniffBytes) {
    head_.append(bytes.data(), std::min(bytes.size(), kSniffBytes - head_.size()));
  }
  received_ += bytes.size();
  // Start writeback now rather than leaving all of it to the fsync in Commit, which the
  // client waits for.
  if (received_ - writeback_start_ >= kWritebackBytes) {
    (void)sync_file_range(fd_, static_cast<off64_t>(writeback_start_),
                          static_cast<off64_t>(received_ - writeback_start_),
                          SYNC_FILE_RANGE_WRITE);
    writeback_start_ = received_;
  }
  if (hasher_ == nullptr) hasher_ = std::make_unique<crypto::Sha256Pipeline>();
  hasher_->Push(std::move(bytes));
  store_->Step("upload.appended");
  return absl::OkStatus();
}

absl::StatusOr<ModelRecord> Upload::Commit() {
  absl::MutexLock lock(&mu_);
  if (done_)
    return abort_status_.ok() ? absl::FailedPreconditionError("upload already ended")
                              : abort_status_;
  // From here on the upload is finished either way.
  done_ = true;
  auto fail = [&](absl::Status s) {
    CloseAndRemoveLocked();
    return s;
  };
  if (received_ != meta_.size) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "header.size: declared ", meta_.size, " bytes but the stream ended after ", received_)));
  }
  const std::string id = hasher_ != nullptr ? hasher_->FinishHex() : crypto::Sha256Hex("");
  if (!meta_.sha256.empty() && meta_.sha256 != id) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "header.sha256: declared ", meta_.sha256, " but the received content hashes to ", id)));
  }
  ModelKind sniffed = SniffKind(head_);
  ModelKind kind = meta_.kind;
  if (kind == ModelKind::kUnspecified) {
    kind = sniffed == ModelKind::kUnspecified ? ModelKind::kOther : sniffed;
  } else if ((sniffed != ModelKind::kUnspecified && sniffed != kind) ||
             (kind == ModelKind::kImage && sniffed != ModelKind::kImage)) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("header.kind: declared ", ModelKindName(kind), " but the content is ",
                     sniffed == ModelKind::kUnspecified ? "not" : "", " ",
                     ModelKindName(sniffed == ModelKind::kUnspecified ? kind : sniffed))));
  }
  UploadMeta meta = meta_;
  SignatureRecord sig;
  sig.status = SignatureStatus::kUnsigned;
  if (verifier_ != nullptr) {
    const std::vector<crypto::P256PublicKey>& keys = store_->trusted_keys();
    Result<image::VerifiedImage> v = verifier_->Finish(keys.data(), keys.size());
    if (!v.ok()) return fail(ImageRefused(*verifier_));
    sig.status = SignatureStatus::kVerified;
    sig.key_hash = crypto::ToHex(v->key_hash);
    sig.has_security_counter = v->has_security_counter;
    sig.security_counter = v->security_counter;
    sig.image_version = image::VersionString(v->header.version);
    const image::ModelInfo& mi = v->model;
    // Images from other MCUboot tools (imgtool) carry no model name; they are filed under the
    // upload's name, and downgrade protection then keys on that name.
    if (mi.has_name) sig.model_name.assign(mi.name, mi.name_size);
    sig.efm_version = mi.efm_version;
    sig.arena_bytes = mi.arena_bytes;
    sig.opset_hex = crypto::ToHex(mi.opset, mi.opset_size);
    if (mi.has_payload_sha256) sig.payload_sha256 = crypto::ToHex(mi.payload_sha256);
    if (!sig.model_name.empty() && meta.name != sig.model_name) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          "header.name \"", meta.name, "\" differs from the model name signed into the image (\"",
          sig.model_name, "\"); upload it under that name")));
    }
    if (meta.version.empty()) {
      meta.version = sig.image_version;
    } else if (meta.version != sig.image_version) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("header.version \"", meta.version, "\" differs from the image's version \"",
                       sig.image_version, "\"; leave it empty to use the image's")));
    }
  }
  if (fsync(fd_) != 0) return fail(ErrnoStatus("fsync", temp_path_));
  close(fd_);
  fd_ = -1;
  store_->Step("commit.temp_synced");
  absl::StatusOr<ModelRecord> out =
      store_->CommitUpload(meta, temp_path_, id, received_, kind, sig);
  unlink(temp_path_.c_str());  // no-op once renamed
  return out;
}

// ---------------------------------------------------------------------------------------------
// BlobReader

BlobReader::~BlobReader() { close(fd_); }

absl::Status BlobReader::Read(size_t max, std::string* out) {
  out->resize(max);
  while (true) {
    ssize_t n = read(fd_, out->data(), max);
    if (n < 0) {
      if (errno == EINTR) continue;
      out->clear();
      return ErrnoStatus("read", "blob");
    }
    out->resize(static_cast<size_t>(n));
    return absl::OkStatus();
  }
}

// ---------------------------------------------------------------------------------------------
// ModelStore

absl::StatusOr<std::unique_ptr<ModelStore>> ModelStore::Open(StoreOptions options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir is required");
  std::unique_ptr<ModelStore> store(new ModelStore(std::move(options)));
  if (absl::Status s = store->Init(); !s.ok()) return s;
  return store;
}

ModelStore::ModelStore(StoreOptions options) : options_(std::move(options)) {}

ModelStore::~ModelStore() {
  AbortAllUploads();
  if (lock_fd_ >= 0) close(lock_fd_);
}

std::string ModelStore::BlobPath(absl::string_view id) const {
  return absl::StrCat(options_.data_dir, "/blobs/sha256/", id);
}

absl::Status ModelStore::Init() {
  const std::string& dir = options_.data_dir;
  if (absl::Status s = MakeDir(dir); !s.ok()) return s;
  // One process per data dir: recovery below deletes temp files and orphan blobs, which would
  // wreck a running edged's uploads. The lock goes away with the process.
  const std::string lock_path = dir + "/edged.lock";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return ErrnoStatus("open", lock_path);
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data dir ", dir, " is in use by another edged; stop it or pick another --data-dir"));
  }
  for (const std::string& d : {dir + "/blobs", dir + "/blobs/sha256", dir + "/tmp"}) {
    if (absl::Status s = MakeDir(d); !s.ok()) return s;
  }
  (void)FsyncDir(dir);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir + "/edged.db");
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  if (absl::Status s = Migrate(); !s.ok()) return s;
  return Recover();
}

absl::Status ModelStore::Migrate() {
  absl::StatusOr<int> version = db_->user_version();
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", *version, " is newer than this edged (",
                     kSchemaVersion, "); upgrade edged or use another --data-dir"));
  }
  for (int v = *version; v < kSchemaVersion; ++v) {
    absl::StatusOr<Transaction> tx = Transaction::Begin(*db_);
    if (!tx.ok()) return tx.status();
    if (absl::Status s = db_->Exec(kMigrations[v]); !s.ok()) return s;
    if (absl::Status s = db_->Exec(absl::StrCat("PRAGMA user_version=", v + 1)); !s.ok()) return s;
    if (absl::Status s = tx->Commit(); !s.ok()) return s;
    spdlog::info("store: migrated schema to version {}", v + 1);
  }
  return absl::OkStatus();
}

absl::Status ModelStore::Recover() {
  const std::string tmp = options_.data_dir + "/tmp";
  for (const std::string& name : ListDir(tmp)) {
    spdlog::info("store: removing leftover temp file {}", name);
    unlink((tmp + "/" + name).c_str());
  }
  absl::flat_hash_set<std::string> ids;
  absl::StatusOr<Statement> st = db_->Prepare("SELECT id, size FROM models");
  if (!st.ok()) return st.status();
  while (true) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string id = st->ColumnText(0);
    struct stat sb;
    if (stat(BlobPath(id).c_str(), &sb) != 0 ||
        static_cast<uint64_t>(sb.st_size) != static_cast<uint64_t>(st->ColumnInt(1))) {
      spdlog::error(
          "store: blob of model {} is missing or truncated; it will be reported as "
          "DATA_LOSS until deleted and uploaded again",
          id);
    }
    ids.insert(std::move(id));
  }
  const std::string blobs = options_.data_dir + "/blobs/sha256";
  bool removed = false;
  for (const std::string& name : ListDir(blobs)) {
    if (!ids.contains(name)) {
      spdlog::info("store: removing orphan blob {}", name);
      unlink((blobs + "/" + name).c_str());
      removed = true;
    }
  }
  if (removed) return FsyncDir(blobs);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ModelStore::NextVersion(absl::string_view name) {
  absl::StatusOr<Statement> st = db_->Prepare("SELECT version FROM models WHERE name = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, name);
  uint64_t max = 0;
  while (true) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    uint64_t v = 0;
    if (absl::SimpleAtoi(st->ColumnText(0), &v)) max = std::max(max, v);
  }
  return absl::StrCat(max + 1);
}

absl::Status ModelStore::CheckNameVersionFree(const std::string& name, const std::string& version,
                                              const std::string& id) {
  absl::StatusOr<Statement> st =
      db_->Prepare("SELECT id FROM models WHERE name = ? AND version = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, name).Bind(2, version);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (*row && st->ColumnText(0) != id) {
    return absl::AlreadyExistsError(absl::StrCat(
        "header.version: ", name, "@", version, " already exists with other content (id ",
        st->ColumnText(0), "); choose another version or delete that model first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Upload>> ModelStore::BeginUpload(UploadMeta meta,
                                                                std::function<void()> on_shutdown) {
  if (absl::Status s = ValidateName(meta.name, "header.name"); !s.ok()) return s;
  if (absl::Status s = ValidateVersion(meta.version, "header.version"); !s.ok()) return s;
  if (meta.size == 0) return absl::InvalidArgumentError("header.size must be greater than 0");
  if (meta.size > options_.max_model_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("header.size: ", meta.size, " bytes is over this gateway's limit of ",
                     options_.max_model_bytes, " bytes (max_model_bytes in the edged config)"));
  }
  if (!meta.sha256.empty()) {
    meta.sha256 = absl::AsciiStrToLower(meta.sha256);
    if (!crypto::IsSha256Hex(meta.sha256)) {
      return absl::InvalidArgumentError("header.sha256 must be 64 hex characters");
    }
  }
  if (static_cast<int>(meta.kind) < 0 || static_cast<int>(meta.kind) > 4) {
    return absl::InvalidArgumentError("header.kind is not a known ModelKind");
  }
  {
    absl::MutexLock lock(&mu_);
    if (!meta.version.empty() && !meta.sha256.empty()) {  // fail before any data moves
      if (absl::Status s = CheckNameVersionFree(meta.name, meta.version, meta.sha256); !s.ok()) {
        return s;
      }
    }
  }
  std::string path;
  {
    absl::MutexLock lock(&uploads_mu_);
    path = absl::StrCat(options_.data_dir, "/tmp/upload-", getpid(), "-", ++temp_counter_);
  }
  int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", path);
  Step("upload.temp_created");
  std::unique_ptr<Upload> upload(
      new Upload(this, std::move(meta), path, fd, std::move(on_shutdown)));
  absl::MutexLock lock(&uploads_mu_);  // released before `upload` is destroyed (Unregister)
  if (shutting_down_) {
    upload->Abort();
    return absl::UnavailableError("edged is shutting down; retry the upload");
  }
  uploads_.insert(upload.get());
  return upload;
}

void ModelStore::Unregister(Upload* upload) {
  absl::MutexLock lock(&uploads_mu_);
  uploads_.erase(upload);
}

void ModelStore::AbortAllUploads() {
  absl::MutexLock lock(&uploads_mu_);
  shutting_down_ = true;
  for (Upload* u : uploads_) {
    // Only uploads this call really ended (not ones already committed or failed) are told.
    if (u->Abort(absl::UnavailableError("edged is shutting down; the upload was discarded, "
                                        "retry it")) &&
        u->on_shutdown_) {
      u->on_shutdown_();
    }
  }
}

absl::StatusOr<ModelRecord> ModelStore::CommitUpload(const UploadMeta& meta,
                                                     const std::string& temp_path,
                                                     const std::string& id, uint64_t size,
                                                     ModelKind kind,
                                                     const SignatureRecord& signature) {
  absl::MutexLock lock(&mu_);
  // Same content already stored? (By id only: the ref resolver would also match names.)
  absl::StatusOr<ModelRecord> existing = absl::NotFoundError("");
  {
    absl::StatusOr<Statement> st = db_->Prepare(absl::StrCat(kSelectColumns, " WHERE id = ?"));
    if (!st.ok()) return st.status();
    st->Bind(1, id);
    absl::StatusOr<std::optional<ModelRecord>> row = QueryOne(*st, /*unique=*/false);
    if (!row.ok()) return row.status();
    if (row->has_value()) existing = std::move(**row);
  }
  if (existing.ok()) {
    if (existing->name == meta.name &&
        (meta.version.empty() || meta.version == existing->version)) {
      return existing;  // idempotent re-upload
    }
    return absl::AlreadyExistsError(absl::StrCat("this content is already stored as ",
                                                 existing->name, "@", existing->version, " (id ",
                                                 id, ")"));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  std::string version = meta.version;
  if (version.empty()) {
    absl::StatusOr<std::string> next = NextVersion(meta.name);
    if (!next.ok()) return next.status();
    version = *next;
  }
  if (absl::Status s = CheckNameVersionFree(meta.name, version, id); !s.ok()) return s;
  if (signature.status == SignatureStatus::kVerified) {
    // Downgrade protection: never accept a lower counter than one already trusted for the name
    // (an image without a counter counts as 0).
    absl::StatusOr<Statement> st = db_->Prepare(
        "SELECT MAX(security_counter), COUNT(*) FROM models WHERE name = ? AND sig_status = 1 "
        "AND security_counter IS NOT NULL");
    if (!st.ok()) return st.status();
    st->Bind(1, meta.name);
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    const int64_t counter =
        signature.has_security_counter ? static_cast<int64_t>(signature.security_counter) : 0;
    if (*row && st->ColumnInt(1) > 0 && counter < st->ColumnInt(0)) {
      return absl::PermissionDeniedError(absl::StrCat("downgrade refused: security counter ",
                                                      counter, " is lower than ", st->ColumnInt(0),
                                                      ", already trusted for model ", meta.name));
    }
  }

  const std::string blob = BlobPath(id);
  if (rename(temp_path.c_str(), blob.c_str()) != 0) return ErrnoStatus("rename", blob);
  Step("commit.renamed");
  if (absl::Status s = FsyncDir(options_.data_dir + "/blobs/sha256"); !s.ok()) return s;
  Step("commit.dir_synced");

  ModelRecord m;
  m.id = id;
  m.name = meta.name;
  m.version = version;
  m.size = size;
  m.kind = kind;
  m.created_unix_micros = absl::ToUnixMicros(absl::Now());
  m.signature = signature;
  absl::StatusOr<Statement> st = db_->Prepare(
      "INSERT INTO models(id, name, version, size, kind, created_us, sig_status, key_hash, "
      "security_counter, image_version, model_name, efm_version, arena_bytes, opset, "
      "payload_sha256) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  st->Bind(1, m.id)
      .Bind(2, m.name)
      .Bind(3, m.version)
      .Bind(4, static_cast<int64_t>(m.size))
      .Bind(5, static_cast<int64_t>(m.kind))
      .Bind(6, m.created_unix_micros)
      .Bind(7, static_cast<int64_t>(signature.status))
      .Bind(8, signature.key_hash)
      .Bind(10, signature.image_version)
      .Bind(11, signature.model_name)
      .Bind(12, static_cast<int64_t>(signature.efm_version))
      .Bind(13, static_cast<int64_t>(signature.arena_bytes))
      .Bind(14, signature.opset_hex)
      .Bind(15, signature.payload_sha256);
  if (signature.has_security_counter) {
    st->Bind(9, static_cast<int64_t>(signature.security_counter));
  } else {
    st->BindNull(9);
  }
  if (absl::Status s = st->Run(); !s.ok()) return s;
  Step("commit.row_inserted");
  spdlog::info("store: committed {}@{} ({} bytes, id {})", m.name, m.version, m.size, m.id);
  return m;
}

absl::Status ModelStore::LoadReferences(ModelRecord& model) {
  absl::StatusOr<Statement> st =
      db_->Prepare("SELECT holder FROM model_refs WHERE model_id = ? ORDER BY holder");
  if (!st.ok()) return st.status();
  st->Bind(1, model.id);
  model.referenced_by.clear();
  while (true) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    model.referenced_by.push_back(st->ColumnText(0));
  }
}

absl::StatusOr<std::optional<ModelRecord>> ModelStore::QueryOne(Statement& st, bool unique) {
  absl::StatusOr<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ModelRecord>();
  ModelRecord m = RowToRecord(st);
  if (unique) {
    absl::StatusOr<bool> second = st.Step();
    if (!second.ok()) return second.status();
    if (*second) {
      return absl::InvalidArgumentError(absl::StrCat("ref: id prefix ", m.id.substr(0, 8),
                                                     "... is ambiguous; give more characters"));
    }
  }
  if (absl::Status s = LoadReferences(m); !s.ok()) return s;
  return std::optional<ModelRecord>(std::move(m));
}

absl::StatusOr<ModelRecord> ModelStore::GetLocked(absl::string_view ref) {
  if (ref.empty()) {
    return absl::InvalidArgumentError("ref is required (an id, id prefix, name or name@version)");
  }
  absl::StatusOr<std::optional<ModelRecord>> found = std::optional<ModelRecord>();
  if (size_t at = ref.find('@'); at != absl::string_view::npos) {
    absl::string_view name = ref.substr(0, at);
    absl::string_view version = ref.substr(at + 1);
    if (absl::Status s = ValidateName(name, "ref name"); !s.ok()) return s;
    if (version.empty()) return absl::InvalidArgumentError("ref: empty version after '@'");
    if (absl::Status s = ValidateVersion(version, "ref version"); !s.ok()) return s;
    absl::StatusOr<Statement> st =
        db_->Prepare(absl::StrCat(kSelectColumns, " WHERE name = ? AND version = ?"));
    if (!st.ok()) return st.status();
    st->Bind(1, name).Bind(2, version);
    found = QueryOne(*st, /*unique=*/false);
  } else {
    if (ref.size() >= 8 && ref.size() <= 64 && IsHex(ref)) {  // an id or a unique id prefix
      absl::StatusOr<Statement> st =
          db_->Prepare(absl::StrCat(kSelectColumns, " WHERE substr(id, 1, ?) = ? LIMIT 2"));
      if (!st.ok()) return st.status();
      st->Bind(1, static_cast<int64_t>(ref.size())).Bind(2, ref);
      found = QueryOne(*st, /*unique=*/true);
      if (!found.ok()) return found.status();
    }
    if (!found->has_value()) {  // a name: its latest version
      if (absl::Status s = ValidateName(ref, "ref"); !s.ok()) return s;
      absl::StatusOr<Statement> st =
          db_->Prepare(absl::StrCat(kSelectColumns, " WHERE name = ? ORDER BY seq DESC LIMIT 1"));
      if (!st.ok()) return st.status();
      st->Bind(1, ref);
      found = QueryOne(*st, /*unique=*/false);
    }
  }
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("no model matches \"", absl::CHexEscape(ref),
                                            "\"; `edgectl ls` lists the stored models"));
  }
  return std::move(**found);
}

absl::StatusOr<ModelRecord> ModelStore::Get(absl::string_view ref) {
  absl::MutexLock lock(&mu_);
  return GetLocked(ref);
}

absl::StatusOr<ListPage> ModelStore::List(const ListQuery& query) {
  int page_size = query.page_size == 0 ? kDefaultPageSize : query.page_size;
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be between 0 and ", kMaxPageSize, "; got ", query.page_size));
  }
  int64_t after = 0;
  if (!query.page_token.empty()) {
    if (query.page_token[0] != 'p' ||
        !absl::SimpleAtoi(absl::string_view(query.page_token).substr(1), &after) || after < 0) {
      return absl::InvalidArgumentError(
          "page_token is not one this server issued; pass next_page_token unchanged");
    }
  }
  std::string sql = absl::StrCat(kSelectColumns, " WHERE seq > ?");
  const bool glob = query.name_filter.find_first_of("*?[") != std::string::npos;
  if (!query.name_filter.empty())
    absl::StrAppend(&sql, glob ? " AND name GLOB ?" : " AND name = ?");
  absl::StrAppend(&sql, " ORDER BY seq LIMIT ?");

  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> st = db_->Prepare(sql);
  if (!st.ok()) return st.status();
  int i = 1;
  st->Bind(i++, after);
  if (!query.name_filter.empty()) st->Bind(i++, query.name_filter);
  st->Bind(i++, static_cast<int64_t>(page_size) + 1);
  ListPage page;
  int64_t last_seq = 0;
  while (true) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.models.size()) == page_size) {
      page.next_page_token = absl::StrCat("p", last_seq);
      break;
    }
    last_seq = st->ColumnInt(0);
    page.models.push_back(RowToRecord(*st));
  }
  for (ModelRecord& m : page.models) {
    if (absl::Status s = LoadReferences(m); !s.ok()) return s;
  }
  return page;
}

absl::StatusOr<ModelRecord> ModelStore::Delete(absl::string_view ref, bool force) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<ModelRecord> m = GetLocked(ref);
  if (!m.ok()) return m.status();
  if (!m->referenced_by.empty() && !force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model ", m->name, "@", m->version, " is referenced by ", m->referenced_by.size(),
        " holder(s) (", m->referenced_by.front(), m->referenced_by.size() > 1 ? ", ..." : "",
        "); remove those first or pass force"));
  }
  {
    absl::StatusOr<Transaction> tx = Transaction::Begin(*db_);
    if (!tx.ok()) return tx.status();
    absl::StatusOr<Statement> st = db_->Prepare("DELETE FROM models WHERE id = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, m->id);
    if (absl::Status s = st->Run(); !s.ok()) return s;
    if (absl::Status s = tx->Commit(); !s.ok()) return s;
  }
  Step("delete.row_deleted");
  const std::string blob = BlobPath(m->id);
  if (unlink(blob.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("store: could not remove blob {}: {} (removed at next start)", blob,
                 std::strerror(errno));
  }
  (void)FsyncDir(options_.data_dir + "/blobs/sha256");
  Step("delete.blob_removed");
  spdlog::info("store: deleted {}@{} (id {})", m->name, m->version, m->id);
  return m;
}

absl::StatusOr<std::unique_ptr<BlobReader>> ModelStore::OpenBlob(const ModelRecord& model) {
  const std::string path = BlobPath(model.id);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::DataLossError(absl::StrCat("blob of model ", model.name, "@", model.version,
                                            " is missing from the store; delete the model and "
                                            "upload it again"));
  }
  std::unique_ptr<BlobReader> reader(new BlobReader(fd, model.size));
  absl::StatusOr<std::pair<std::string, uint64_t>> digest = HashFd(fd, path);
  if (!digest.ok()) return digest.status();
  if (digest->second != model.size || digest->first != model.id) {
    spdlog::error("store: blob {} is corrupt ({} bytes, sha256 {})", path, digest->second,
                  digest->first);
    return absl::DataLossError(
        absl::StrCat("blob of model ", model.name, "@", model.version,
                     " is corrupt on disk (its content no longer matches id ", model.id,
                     "); it is not served: delete the model and upload it again"));
  }
  if (lseek(fd, 0, SEEK_SET) != 0) return ErrnoStatus("seek", path);
  return reader;
}

absl::Status ModelStore::AddReference(absl::string_view model_id, absl::string_view holder) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> st =
      db_->Prepare("INSERT OR IGNORE INTO model_refs(model_id, holder) VALUES(?, ?)");
  if (!st.ok()) return st.status();
  st->Bind(1, model_id).Bind(2, holder);
  absl::Status s = st->Run();
  if (absl::IsAlreadyExists(s)) {  // foreign key violation: no such model
    return absl::NotFoundError(absl::StrCat("no model with id ", model_id));
  }
  return s;
}

absl::Status ModelStore::RemoveReference(absl::string_view model_id, absl::string_view holder) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Statement> st =
      db_->Prepare("DELETE FROM model_refs WHERE model_id = ? AND holder = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, model_id).Bind(2, holder);
  return st->Run();
}

absl::Status ModelStore::CheckConsistency() {
  bool uploads_in_flight;
  {
    absl::MutexLock ulock(&uploads_mu_);  // never held together with mu_
    uploads_in_flight = !uploads_.empty();
  }
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<std::string> ids;
  absl::StatusOr<Statement> st = db_->Prepare("SELECT id, size FROM models");
  if (!st.ok()) return st.status();
  while (true) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string id = st->ColumnText(0);
    const std::string path = BlobPath(id);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::DataLossError(absl::StrCat("row ", id, " has no blob"));
    absl::StatusOr<std::pair<std::string, uint64_t>> digest = HashFd(fd, path);
    close(fd);
    if (!digest.ok()) return digest.status();
    if (digest->first != id || digest->second != static_cast<uint64_t>(st->ColumnInt(1))) {
      return absl::DataLossError(absl::StrCat("blob ", id, " does not match its row"));
    }
    ids.insert(id);
  }
  for (const std::string& name : ListDir(options_.data_dir + "/blobs/sha256")) {
    if (!ids.contains(name)) return absl::DataLossError(absl::StrCat("orphan blob ", name));
  }
  if (!uploads_in_flight && !ListDir(options_.data_dir + "/tmp").empty()) {
    return absl::DataLossError("leftover temp files in tmp/");
  }
  return absl::OkStatus();
}

}  // namespace edge::store
