// The WAL-frame VFS of sqlite_wal_vfs.h: files other than WAL files are the default VFS's own
// (opened in place); a WAL file is wrapped so that a frame header written at the append
// position is held back until the page that follows it, then both go out as one write.
#include "search/storages/sqlite_wal_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "core/error.h"

namespace chop::search::sql {
namespace {

constexpr int kFrameHeaderBytes = 24;  // SQLite's WAL_FRAME_HDRSIZE (file format)

// A wrapped WAL file. SQLite allocates it (szOsFile bytes, not constructed): plain data, with
// the default VFS's file right after it.
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  // Why holding a header back is safe: SQLite writes a new frame as header, then page, with no
  // other call on the file between (walWriteOneFrame); any other call flushes the header first.
  // Only a header at the append position after a write is held: the other 24-byte writes
  // (walRewriteChecksums, after a read, at an earlier offset) go out at once.
  sqlite3_int64 append_at;  // end of the last write (-1: unknown)
  bool last_was_write;
  bool pending;
  sqlite3_int64 pending_at;
  unsigned char header[kFrameHeaderBytes];
  unsigned char* frame;  // header + page, for the combined write (sqlite3_malloc)
  int frame_bytes;
};

sqlite3_vfs g_vfs;
sqlite3_vfs* g_base = nullptr;
std::atomic<int64_t> g_whole{0};

sqlite3_file* real_of(sqlite3_file* f) {
  return reinterpret_cast<WalFile*>(f)->real;
}

int flush(WalFile* w) {
  if (!w->pending) return SQLITE_OK;
  w->pending = false;
  const int rc = w->real->pMethods->xWrite(w->real, w->header, kFrameHeaderBytes, w->pending_at);
  if (rc == SQLITE_OK) w->append_at = w->pending_at + kFrameHeaderBytes;
  return rc;
}

// Every method other than xWrite flushes a held header, then forwards.
int flushed(sqlite3_file* f) {
  WalFile* w = reinterpret_cast<WalFile*>(f);
  w->last_was_write = false;
  return flush(w);
}

int wal_close(sqlite3_file* f) {
  WalFile* w = reinterpret_cast<WalFile*>(f);
  const int flush_rc = flush(w);
  const int rc = w->real->pMethods->xClose(w->real);
  sqlite3_free(w->frame);
  w->frame = nullptr;
  return flush_rc != SQLITE_OK ? flush_rc : rc;
}

int wal_read(sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xRead(real_of(f), out, n, at);
}

int wal_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 at) {
  WalFile* w = reinterpret_cast<WalFile*>(f);
  sqlite3_file* real = w->real;
  if (w->pending) {
    if (at == w->pending_at + kFrameHeaderBytes) {
      const int bytes = kFrameHeaderBytes + n;
      if (bytes > w->frame_bytes) {
        auto* grown = static_cast<unsigned char*>(sqlite3_realloc(w->frame, bytes));
        if (grown) {
          w->frame = grown;
          w->frame_bytes = bytes;
        }
      }
    }
    if (at == w->pending_at + kFrameHeaderBytes && kFrameHeaderBytes + n <= w->frame_bytes) {
      const int bytes = kFrameHeaderBytes + n;
      std::memcpy(w->frame, w->header, kFrameHeaderBytes);
      std::memcpy(w->frame + kFrameHeaderBytes, data, static_cast<size_t>(n));
      w->pending = false;
      const int rc = real->pMethods->xWrite(real, w->frame, bytes, w->pending_at);
      w->append_at = rc == SQLITE_OK ? w->pending_at + bytes : -1;
      w->last_was_write = true;
      if (rc == SQLITE_OK) g_whole.fetch_add(1, std::memory_order_relaxed);
      return rc;
    }
    if (const int rc = flush(w)) return rc;
  }
  if (n == kFrameHeaderBytes && w->last_was_write && at == w->append_at) {
    std::memcpy(w->header, data, kFrameHeaderBytes);
    w->pending = true;
    w->pending_at = at;
    return SQLITE_OK;
  }
  const int rc = real->pMethods->xWrite(real, data, n, at);
  w->append_at = rc == SQLITE_OK ? at + n : -1;
  w->last_was_write = true;
  return rc;
}

int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int wal_sync(sqlite3_file* f, int flags) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int wal_lock(sqlite3_file* f, int level) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int wal_unlock(sqlite3_file* f, int level) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int wal_check_reserved(sqlite3_file* f, int* out) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int wal_file_control(sqlite3_file* f, int op, void* arg) {
  if (const int rc = flushed(f)) return rc;
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int wal_sector_size(sqlite3_file* f) {
  flushed(f);
  return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int wal_device_characteristics(sqlite3_file* f) {
  flushed(f);
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
// (SQLite keeps the wal-index in the database file's shared memory, not the WAL file's; these
// only forward.)
int wal_shm_map(sqlite3_file* f, int page, int bytes, int extend, void volatile** out) {
  if (const int rc = flushed(f)) return rc;
  sqlite3_file* real = real_of(f);
  if (real->pMethods->iVersion < 2 || !real->pMethods->xShmMap) return SQLITE_IOERR_SHMMAP;
  return real->pMethods->xShmMap(real, page, bytes, extend, out);
}
int wal_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  if (const int rc = flushed(f)) return rc;
  sqlite3_file* real = real_of(f);
  if (real->pMethods->iVersion < 2 || !real->pMethods->xShmLock) return SQLITE_IOERR_SHMLOCK;
  return real->pMethods->xShmLock(real, offset, n, flags);
}
void wal_shm_barrier(sqlite3_file* f) {
  flushed(f);
  sqlite3_file* real = real_of(f);
  if (real->pMethods->iVersion >= 2 && real->pMethods->xShmBarrier)
    real->pMethods->xShmBarrier(real);
}
int wal_shm_unmap(sqlite3_file* f, int delete_flag) {
  if (const int rc = flushed(f)) return rc;
  sqlite3_file* real = real_of(f);
  if (real->pMethods->iVersion < 2 || !real->pMethods->xShmUnmap) return SQLITE_OK;
  return real->pMethods->xShmUnmap(real, delete_flag);
}
int wal_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
  *out = nullptr;
  if (const int rc = flushed(f)) return rc;
  sqlite3_file* real = real_of(f);
  if (real->pMethods->iVersion < 3 || !real->pMethods->xFetch) return SQLITE_OK;
  return real->pMethods->xFetch(real, at, n, out);
}
int wal_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  if (const int rc = flushed(f)) return rc;
  sqlite3_file* real = real_of(f);
  if (real->pMethods->iVersion < 3 || !real->pMethods->xUnfetch) return SQLITE_OK;
  return real->pMethods->xUnfetch(real, at, p);
}

const sqlite3_io_methods kWalMethods = {
    3,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    wal_shm_map,
    wal_shm_lock,
    wal_shm_barrier,
    wal_shm_unmap,
    wal_fetch,
    wal_unfetch,
};

// Aligned so that the default VFS's file placed after it is aligned.
constexpr int kWrapperBytes = static_cast<int>((sizeof(WalFile) + 15) / 16 * 16);

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL))  // the default VFS's file, in place (it fits: szOsFile)
    return g_base->xOpen(g_base, name, f, flags, out_flags);
  WalFile* w = reinterpret_cast<WalFile*>(f);
  std::memset(w, 0, sizeof(WalFile));
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kWrapperBytes);
  w->append_at = -1;
  const int rc = g_base->xOpen(g_base, name, w->real, flags, out_flags);
  w->base.pMethods = rc == SQLITE_OK && w->real->pMethods ? &kWalMethods : nullptr;
  return rc;
}

// The rest is the default VFS's, called with its own object.
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void vfs_dl_error(sqlite3_vfs*, int n, char* out) {
  g_base->xDlError(g_base, n, out);
}
void (*vfs_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_base->xDlSym(g_base, h, sym);
}
void vfs_dl_close(sqlite3_vfs*, void* h) {
  g_base->xDlClose(g_base, h);
}
int vfs_randomness(sqlite3_vfs*, int n, char* out) {
  return g_base->xRandomness(g_base, n, out);
}
int vfs_sleep(sqlite3_vfs*, int us) {
  return g_base->xSleep(g_base, us);
}
int vfs_current_time(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int vfs_get_last_error(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError ? g_base->xGetLastError(g_base, n, out) : 0;
}
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  if (g_base->iVersion >= 2 && g_base->xCurrentTimeInt64)
    return g_base->xCurrentTimeInt64(g_base, out);
  double days = 0;
  const int rc = g_base->xCurrentTime(g_base, &days);
  *out = static_cast<sqlite3_int64>(days * 86400000.0);
  return rc;
}

void register_vfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (!g_base) throw DataError("sqlite", "SQLite has no default VFS");
  std::memset(&g_vfs, 0, sizeof g_vfs);
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = kWrapperBytes + g_base->szOsFile;
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = "chop-wal-frames";
  g_vfs.xOpen = vfs_open;
  g_vfs.xDelete = vfs_delete;
  g_vfs.xAccess = vfs_access;
  g_vfs.xFullPathname = vfs_full_pathname;
  g_vfs.xDlOpen = vfs_dl_open;
  g_vfs.xDlError = vfs_dl_error;
  g_vfs.xDlSym = vfs_dl_sym;
  g_vfs.xDlClose = vfs_dl_close;
  g_vfs.xRandomness = vfs_randomness;
  g_vfs.xSleep = vfs_sleep;
  g_vfs.xCurrentTime = vfs_current_time;
  g_vfs.xGetLastError = vfs_get_last_error;
  g_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
  if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK)
    throw DataError("sqlite", "cannot register the WAL-frame VFS");
}

}  // namespace

const char* wal_frame_vfs_name() {
  static std::once_flag once;
  std::call_once(once, register_vfs);
  return g_vfs.zName;
}

int64_t wal_frames_written_whole() {
  return g_whole.load(std::memory_order_relaxed);
}

}  // namespace chop::search::sql
