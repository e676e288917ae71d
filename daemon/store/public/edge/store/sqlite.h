#pragma once
// Thin RAII wrapper over the SQLite C API for the daemon's metadata database.
//
// Not a general ORM: just open (WAL, synchronous=FULL, foreign keys on), prepared statements
// with positional binds, and transactions. Every failure becomes an absl::Status naming the SQL
// that failed. Not thread-safe: callers serialise access (ModelStore holds a mutex).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edge::store {

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int index, absl::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& BindNull(int index);

  // Advances the statement. Returns true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs to completion, ignoring rows.
  absl::Status Run();

  std::string ColumnText(int column) const;
  int64_t ColumnInt(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string sql);
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  absl::Status bind_status_;
};

class Database {
 public:
  // Opens (creating if needed) `path` with WAL journaling and synchronous=FULL.
  // Returns UNAVAILABLE if the file cannot be opened, DATA_LOSS if it is not a database.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();

  absl::Status Exec(absl::string_view sql);
  absl::StatusOr<Statement> Prepare(absl::string_view sql);

  // Schema version (PRAGMA user_version).
  absl::StatusOr<int> user_version();

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Commits on Commit(), rolls back otherwise (RAII).
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  absl::Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace edge::store
