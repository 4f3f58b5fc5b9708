// Files for the native CLI (issue 14): inputs that are read without blocking or SIGBUS, and
// outputs that are written all or none, never onto an input.
//
// Inputs: InputFile opens with O_NONBLOCK (a FIFO never blocks the open), accepts regular
// files only, and reads with pread, so a file that shrinks while it is read is an error
// ("... shrank while being read"), not the SIGBUS a memory map would raise.
//
// Outputs: OutputSet stages every output in a fresh temporary file in the output's folder
// (O_CREAT|O_EXCL|O_NOFOLLOW, a random name: nothing can be planted there in advance, and a
// symlink at that name is never followed), gives it the mode of the file it replaces, and
// renames them all onto their targets only once every one is written. rename() replaces the
// directory entry: other hard links to the old file keep the old content, and a symlink given
// as output is replaced by a regular file (its target is left alone).
//
// Errors are vlc::Error "<path>: <problem>", with strerror of the real errno.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace vlc::files {

// "a directory", "a named pipe (FIFO)", "a character device", ... for a st_mode.
std::string file_type_name(mode_t mode);

// Printable ASCII kept, every other byte as \xNN (NUL and terminal escapes from file content
// must neither cut nor colour an error message). With keep_utf8, bytes from 0x80 up are kept
// too (only control bytes are escaped), for text that is meant to be UTF-8.
std::string printable(const std::string& bytes, bool keep_utf8 = false);

class InputFile {
 public:
  explicit InputFile(const std::string& path);  // throws "<path>: cannot open: ..." / "<path>: is <type>, not a regular file"
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  std::size_t size() const { return size_; }  // at open time

  // Reads exactly n bytes at offset into out; throws "<path>: the file shrank while being read ..."
  // when the file ends first (truncated by another program).
  void read_at(std::size_t offset, std::size_t n, void* out) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

// Where a path points: (device, inode) when it exists, else its resolved folder + name. Two
// paths with equal identities are the same file (or will be).
struct FileIdentity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string resolved;
  bool operator==(const FileIdentity& o) const;
};
FileIdentity identify(const std::string& path);

class OutputSet {
 public:
  OutputSet() = default;
  ~OutputSet();  // removes the temporary files of an uncommitted set
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Checks, before any work, that `path` can be written: its folder exists and is writable,
  // and it is not a directory. Throws "<path>: cannot write: ...".
  static void check_writable(const std::string& path);

  // Writes `bytes` to a new temporary file next to `path` (throws naming `path`).
  void stage(const std::string& path, const std::string& bytes);
  // Renames every staged file onto its target.
  void commit();

 private:
  struct Staged {
    std::string path, tmp;
  };
  std::vector<Staged> staged_;
};

// One file, atomically: OutputSet with a single entry.
void write_atomically(const std::string& path, const std::string& bytes);

}  // namespace vlc::files
