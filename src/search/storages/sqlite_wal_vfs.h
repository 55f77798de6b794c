// An SQLite VFS that is the default one (unix) except that a WAL frame's 24-byte header and its
// page go to the file in one write, not two: a study commit writes 8-15 frames, and the system
// calls were a quarter of a lone search's loop time. The bytes on disk are the same.
#pragma once

#include <cstdint>

namespace chop::search::sql {

/// The VFS's name for sqlite3_open_v2 (registered on first use, never the default VFS).
const char* wal_frame_vfs_name();

/// Frames this process wrote with one write instead of two (for tests and benchmarks).
int64_t wal_frames_written_whole();

}  // namespace chop::search::sql
