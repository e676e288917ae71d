#pragma once
// ModelStore: the gateway's durable, content-addressed model registry.
//
// Layout under `data_dir`:
//   edged.db              SQLite (WAL) metadata: models, references, schema version
//   blobs/sha256/<hex>    one immutable file per distinct content, named by its SHA-256
//   tmp/                  uploads in flight (removed on abort and at every Open)
//
// Crash safety: a blob is written to tmp/, fsync'd, renamed into blobs/ and the directory
// fsync'd *before* its row is inserted; a row is deleted *before* its blob is unlinked. So the
// database never points at a missing blob, and a crash leaves at most an orphan blob or temp
// file, both removed by the next Open. A model is visible only once its row commits.
//
// Not here: transport (see daemon/api), signature checks (lib/image). Thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "edge/crypto/ecdsa_p256.h"
#include "edge/crypto/sha256_pipeline.h"
#include "edge/image/image.h"

namespace edge::store {

class Database;
class Statement;

// Same numbering as edgefleet.v1.ModelKind.
enum class ModelKind : int { kUnspecified = 0, kEfm = 1, kImage = 2, kPlugin = 3, kOther = 4 };
absl::string_view ModelKindName(ModelKind kind);
// Guesses a kind from the first bytes of the content; kUnspecified when nothing matches.
ModelKind SniffKind(absl::string_view head);

enum class SignatureStatus : int { kUnspecified = 0, kVerified = 1, kUnsigned = 2 };

// What the gateway verified about a signed image (kind image), or kUnsigned for content that
// was accepted unsigned because the store allows it (development mode).
struct SignatureRecord {
  SignatureStatus status = SignatureStatus::kUnspecified;
  std::string key_hash;  // hex KEYHASH of the trusted signer
  bool has_security_counter = false;
  uint32_t security_counter = 0;
  std::string image_version;  // "maj.min.rev[+build]" from the image header
  // Model TLVs (absent ones stay empty / zero).
  std::string model_name;
  uint32_t efm_version = 0;
  uint32_t arena_bytes = 0;
  std::string opset_hex;
  std::string payload_sha256;
};

struct ModelRecord {
  std::string id;  // lowercase hex SHA-256 of the content
  std::string name;
  std::string version;
  uint64_t size = 0;
  ModelKind kind = ModelKind::kUnspecified;
  int64_t created_unix_micros = 0;
  std::vector<std::string> referenced_by;
  SignatureRecord signature;
};

struct UploadMeta {
  std::string name;
  std::string version;  // empty: next integer version for `name`
  uint64_t size = 0;
  std::string sha256;  // empty: not declared
  ModelKind kind = ModelKind::kUnspecified;
};

struct ListQuery {
  int page_size = 0;  // 0 = default (100)
  std::string page_token;
  std::string name_filter;  // exact name or a glob (* and ?)
};

struct ListPage {
  std::vector<ModelRecord> models;
  std::string next_page_token;
};

struct StoreOptions {
  std::string data_dir;
  uint64_t max_model_bytes = 256ull << 20;
  // Trust: signed images must verify against one of these keys; anything that isn't a signed
  // image is refused with PERMISSION_DENIED unless allow_unsigned (development only).
  std::vector<crypto::P256PublicKey> trusted_keys;
  bool allow_unsigned = false;
  // Test seam for crash tests: called at every durable step of an upload/commit/delete with
  // the step's name. Production leaves it empty.
  std::function<void(absl::string_view step)> step_hook;
};

class ModelStore;

// One upload in flight: bytes go straight to a temp file and into the running hash; nothing
// is buffered. Destroying an uncommitted Upload removes its temp file.
class Upload {
 public:
  ~Upload();
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;

  // Appends the next bytes. Returns:
  //   OK
  //   INVALID_ARGUMENT    more bytes than the declared size
  //   PERMISSION_DENIED   not a signed image and the store does not allow unsigned content
  //   RESOURCE_EXHAUSTED  over the store's size limit
  //   CANCELLED           the upload was aborted (shutdown)
  //   UNAVAILABLE         the disk write failed
  // Takes the bytes (move them in): they are written at once and hashed on a background thread
  // while the caller receives the next chunk.
  absl::Status Append(std::string bytes);

  // Checks size and hash, makes the blob durable and the model visible. Returns the model, or:
  //   INVALID_ARGUMENT  size or sha256 differs from the declared values, kind disagrees, or
  //                     name/version differ from the signed image's own
  //   PERMISSION_DENIED the image does not verify against the trusted keys, or its security
  //                     counter is lower than one already stored for the model name
  //   ALREADY_EXISTS    name@version is taken by other content, or this content has another name
  //   CANCELLED         aborted
  absl::StatusOr<ModelRecord> Commit();

  // Discards the upload and its temp file; idempotent and thread-safe. Later calls to Append
  // and Commit return `why`.
  // Returns true if this call ended the upload (false if it had already committed or ended).
  bool Abort(absl::Status why = absl::CancelledError("upload was cancelled"));

 private:
  friend class ModelStore;
  Upload(ModelStore* store, UploadMeta meta, std::string temp_path, int fd,
         std::function<void()> on_shutdown);
  void CloseAndRemoveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Decides, from the first bytes, whether this is a signed image (then verified as it streams)
  // or unsigned content (refused unless the store allows it).
  absl::Status CheckContent(const std::string& bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ModelStore* const store_;
  const UploadMeta meta_;
  const std::string temp_path_;
  absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status abort_status_ ABSL_GUARDED_BY(mu_);
  const std::function<void()> on_shutdown_;
  uint64_t received_ = 0;
  uint64_t writeback_start_ = 0;
  std::string head_;  // first bytes, for kind sniffing
  std::unique_ptr<crypto::Sha256Pipeline> hasher_ ABSL_GUARDED_BY(mu_);
  // Set once the first bytes show a signed image; fed every byte.
  std::unique_ptr<image::ImageVerifier> verifier_ ABSL_GUARDED_BY(mu_);
  bool content_checked_ ABSL_GUARDED_BY(mu_) = false;
};

// A verified blob opened for reading (see ModelStore::OpenBlob).
class BlobReader {
 public:
  ~BlobReader();
  BlobReader(const BlobReader&) = delete;
  BlobReader& operator=(const BlobReader&) = delete;
  // Reads up to `max` bytes at the current position into `out`; empty at end of file.
  absl::Status Read(size_t max, std::string* out);
  uint64_t size() const { return size_; }

 private:
  friend class ModelStore;
  BlobReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

class ModelStore {
 public:
  static constexpr int kSchemaVersion = 2;
  static constexpr size_t kMaxNameBytes = 128;
  static constexpr size_t kMaxVersionBytes = 64;

  // Opens or creates the store: locks the folder (one edged per data dir), creates folders,
  // migrates the schema, removes temp files and orphan blobs left by a crash. Returns
  // FAILED_PRECONDITION if the folder is locked by another process, not writable, or its
  // database is newer than this build; DATA_LOSS if the database is corrupt.
  static absl::StatusOr<std::unique_ptr<ModelStore>> Open(StoreOptions options);
  ~ModelStore();

  // Validates `meta` (names the bad field) and starts an upload. Fails early with
  // ALREADY_EXISTS if name@version is taken, RESOURCE_EXHAUSTED if the declared size is over
  // the limit. `on_shutdown` (optional) is called once if AbortAllUploads aborts this upload,
  // so the transport can end the call at once instead of waiting for the client's next chunk.
  absl::StatusOr<std::unique_ptr<Upload>> BeginUpload(UploadMeta meta,
                                                      std::function<void()> on_shutdown = nullptr);

  absl::StatusOr<ListPage> List(const ListQuery& query);
  // `ref`: full id, unique id prefix (>= 8 hex), name (latest version) or name@version.
  // NOT_FOUND if nothing matches, INVALID_ARGUMENT if malformed or ambiguous.
  absl::StatusOr<ModelRecord> Get(absl::string_view ref);
  // FAILED_PRECONDITION if referenced and !force.
  absl::StatusOr<ModelRecord> Delete(absl::string_view ref, bool force);

  // Opens the model's blob after checking it still hashes to its id. DATA_LOSS otherwise
  // (missing, wrong size, or different content); such a blob is never served.
  absl::StatusOr<std::unique_ptr<BlobReader>> OpenBlob(const ModelRecord& model);

  // References keep a model from being deleted (pipelines, deployments).
  absl::Status AddReference(absl::string_view model_id, absl::string_view holder);
  absl::Status RemoveReference(absl::string_view model_id, absl::string_view holder);

  // Aborts every upload in flight (their temp files are removed); they fail with UNAVAILABLE
  // ("shutting down; retry"), and so does every later BeginUpload. Used on shutdown.
  void AbortAllUploads();

  // Full consistency check (for tests): every row has a blob of the
  // right size and hash, no orphan blobs, no temp files. Returns DATA_LOSS naming the first
  // problem.
  absl::Status CheckConsistency();

  uint64_t max_model_bytes() const { return options_.max_model_bytes; }
  const std::vector<crypto::P256PublicKey>& trusted_keys() const { return options_.trusted_keys; }
  bool allow_unsigned() const { return options_.allow_unsigned; }
  const std::string& data_dir() const { return options_.data_dir; }
  std::string BlobPath(absl::string_view id) const;

 private:
  friend class Upload;
  explicit ModelStore(StoreOptions options);
  absl::Status Init();
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Recover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ModelRecord> CommitUpload(const UploadMeta& meta, const std::string& temp_path,
                                           const std::string& id, uint64_t size, ModelKind kind,
                                           const SignatureRecord& signature);
  absl::StatusOr<ModelRecord> GetLocked(absl::string_view ref) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<ModelRecord>> QueryOne(Statement& st, bool unique)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadReferences(ModelRecord& model) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> NextVersion(absl::string_view name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckNameVersionFree(const std::string& name, const std::string& version,
                                    const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Step(absl::string_view step) const {
    if (options_.step_hook) options_.step_hook(step);
  }
  void Unregister(Upload* upload);

  const StoreOptions options_;
  absl::Mutex mu_;
  std::unique_ptr<Database> db_ ABSL_GUARDED_BY(mu_);
  absl::Mutex uploads_mu_;  // never held while taking mu_
  absl::flat_hash_set<Upload*> uploads_ ABSL_GUARDED_BY(uploads_mu_);
  bool shutting_down_ ABSL_GUARDED_BY(uploads_mu_) = false;
  int lock_fd_ = -1;  // flock on <data_dir>/edged.lock
  uint64_t temp_counter_ ABSL_GUARDED_BY(uploads_mu_) = 0;
};

// Validation used by the store and by clients (names the field in the message).
absl::Status ValidateName(absl::string_view name, absl::string_view field);
absl::Status ValidateVersion(absl::string_view version, absl::string_view field);

}  // namespace edge::store
