// The WAL-frame VFS (storages/sqlite_wal_vfs.h): frames written whole are the bytes SQLite's own
// VFS writes, so a WAL left behind by a killed writer recovers in plain SQLite, including after
// a transaction that spilled and rewrote frames (the 24-byte writes that are not held back).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "common/fresh_db.h"
#include "core/error.h"
#include "search/sampler_registry.h"
#include "search/storage.h"
#include "search/storages/sqlite_wal_vfs.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;
namespace fs = std::filesystem;

namespace {

// The database and its WAL as they are on disk now, copied (no -shm: opening the copy rebuilds
// the wal-index from the frame headers, checking every frame's checksum).
std::string copy_without_shm(const std::string& path, const std::string& name) {
  const std::string to = chop::testing::fresh_db("chop_wal_vfs_copy", name);
  fs::copy_file(path, to);
  EXPECT_TRUE(fs::exists(path + "-wal"));
  fs::copy_file(path + "-wal", to + "-wal");
  return to;
}

// Runs `sql` on the file through SQLite's default VFS; returns the first column of each row.
std::vector<std::string> plain_query(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::vector<std::string> out;
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(st, 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST(SqliteWalVfs, StudyWalWrittenWholeFramesRecoversInPlainSqlite) {
  const std::string path = chop::testing::fresh_db("chop_wal_vfs", "study");
  const int64_t whole_before = sql::wal_frames_written_whole();
  StudyOptions o;
  o.name = "wal";
  o.directions = {Direction::kMinimize};
  o.storage = open_sqlite_storage(path);
  o.sampler = make_sampler("random", Json::object(), 5);
  Study s(o);
  OptimizeOptions n;
  n.n_trials = 12;
  s.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", -3, 3);
        t.set_user_attr("x2", x * x);
        return std::vector<double>{x * x};
      },
      n);
  // Most frames went out in one write (each commit's first frame may not: see the VFS).
  EXPECT_GT(sql::wal_frames_written_whole() - whole_before, 12 * 3);
  // The study is still open: everything it committed is in the WAL only.
  const std::string copy = copy_without_shm(path, "study");
  EXPECT_EQ(plain_query(copy, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_EQ(plain_query(copy, "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'"),
            std::vector<std::string>{"12"});
  EXPECT_EQ(plain_query(copy, "SELECT COUNT(*) FROM trial_values"), std::vector<std::string>{"12"});
}

TEST(SqliteWalVfs, SpilledTransactionWithRewrittenFramesRecoversInPlainSqlite) {
  const std::string path = chop::testing::fresh_db("chop_wal_vfs", "spill");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            sql::wal_frame_vfs_name()),
            SQLITE_OK);
  auto exec = [&](const char* sql) {
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  };
  // A cache of a few pages: the transaction spills frames to the WAL before its commit, then
  // changes those pages again, so SQLite rewrites frames and their checksums in place.
  exec("PRAGMA page_size=1024");
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");  // as chop: no sync at commit that would flush
  exec("PRAGMA cache_size=4");
  exec("PRAGMA wal_autocheckpoint=0");
  exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
  exec("BEGIN");
  exec(
      "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 400) "
      "INSERT INTO t SELECT k, printf('%0200d', k) FROM n");
  exec("UPDATE t SET v = printf('%0190d', k + 1)");
  exec("UPDATE t SET v = printf('%0180d', k + 2)");
  exec("COMMIT");
  // Right after the commit (its last call on the WAL file may be a rewritten header's write).
  const std::string copy = copy_without_shm(path, "spill");
  exec("INSERT INTO t VALUES (1000, 'last')");
  const std::string later = copy_without_shm(path, "spill_later");
  sqlite3_close(db);
  for (const std::string& c : {copy, later}) {
    EXPECT_EQ(plain_query(c, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
    EXPECT_EQ(plain_query(c, "SELECT COUNT(*) FROM t WHERE v = printf('%0180d', k + 2)"),
              std::vector<std::string>{"400"});
  }
  EXPECT_EQ(plain_query(later, "SELECT v FROM t WHERE k = 1000"), std::vector<std::string>{"last"});
}

TEST(SqliteWalVfs, UnopenableFileFailsThroughTheVfs) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2("/nonexistent-dir/x/y.db", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      sql::wal_frame_vfs_name());
  EXPECT_EQ(rc, SQLITE_CANTOPEN);
  sqlite3_close(db);
  EXPECT_THROW(open_sqlite_storage("/nonexistent-dir/x/y.db"), DataError);
}
