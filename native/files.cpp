#include "files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "vlc/error.hpp"

namespace vlc::files {
namespace {

std::string folder_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// A name no one can guess in advance; O_EXCL makes a collision a retry, not a hijack.
std::string random_suffix() {
  static unsigned long long counter = 0;
  unsigned long long x = static_cast<unsigned long long>(
                             std::chrono::high_resolution_clock::now().time_since_epoch().count()) ^
                         (static_cast<unsigned long long>(::getpid()) << 32) ^ (++counter * 0x9e3779b97f4a7c15ull);
  static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 10; ++i) {
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    s += digits[x % 36];
  }
  return s;
}

// Creates "<folder>/.<name>.<random>.tmp" exclusively; never follows a symlink.
int create_temp(const std::string& path, std::string& tmp) {
  const std::filesystem::path p(path);
  const std::string base = folder_of(path) + "/." + p.filename().string() + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp = base + random_suffix() + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);  // 0666 & ~umask
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

std::string printable(const std::string& bytes, bool keep_utf8) {
  std::string out;
  for (unsigned char c : bytes) {
    if ((c >= 0x20 && c < 0x7f) || (keep_utf8 && c >= 0x80)) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

InputFile::InputFile(const std::string& path) : path_(path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) fail(path, ": cannot open: ", std::strerror(errno));
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    int e = errno;
    ::close(fd_);
    fail(path, ": cannot read: ", std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    fail(path, ": is ", file_type_name(st.st_mode), ", not a regular file");
  }
  size_ = static_cast<std::size_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(std::size_t offset, std::size_t n, void* out) const {
  auto* p = static_cast<unsigned char*>(out);
  std::size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(path_, ": cannot read: ", std::strerror(errno));
    if (got == 0)
      fail(path_, ": the file shrank while being read (", size_, " bytes when opened, ended at byte ",
           offset + done, "); was it truncated or rewritten by another program?");
    done += static_cast<std::size_t>(got);
  }
}

// ---------------------------------------------------------------------------------------------

bool FileIdentity::operator==(const FileIdentity& o) const {
  if (exists != o.exists) return false;
  return exists ? dev == o.dev && ino == o.ino : resolved == o.resolved;
}

FileIdentity identify(const std::string& path) {
  FileIdentity id;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    return id;
  }
  // Not there yet: the same folder (symlinks resolved) and name is the same future file.
  char buf[PATH_MAX];
  const std::string dir = folder_of(path);
  id.resolved = (::realpath(dir.c_str(), buf) ? std::string(buf) : dir) + "/" +
                std::filesystem::path(path).filename().string();
  return id;
}

// ---------------------------------------------------------------------------------------------

OutputSet::~OutputSet() {
  for (const auto& s : staged_) ::unlink(s.tmp.c_str());
}

void OutputSet::check_writable(const std::string& path) {
  const std::string dir = folder_of(path);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) fail(path, ": cannot write: folder ", dir, ": ", std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) fail(path, ": cannot write: ", dir, " is ", file_type_name(st.st_mode), ", not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail(path, ": cannot write into folder ", dir, ": ", std::strerror(errno));
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    fail(path, ": cannot write: it is ", file_type_name(st.st_mode),
         "; an output replaces a regular file or creates a new one");
}

void OutputSet::stage(const std::string& path, const std::string& bytes) {
  std::string tmp;
  int fd = create_temp(path, tmp);
  if (fd < 0) fail(path, ": cannot write: cannot create a temporary file in ", folder_of(path), ": ", std::strerror(errno));
  staged_.push_back({path, tmp});  // from here on the destructor removes it
  // Keep the mode of the file replaced (a new file gets 0666 minus the umask from open).
  struct stat st;
  bool ok = true;
  if (::stat(path.c_str(), &st) == 0) ok = ::fchmod(fd, st.st_mode & 07777) == 0;
  ok = ok && write_all(fd, bytes) && ::fsync(fd) == 0;
  int e = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (!ok) fail(path, ": cannot write: ", std::strerror(e));
}

void OutputSet::commit() {
  while (!staged_.empty()) {
    const Staged& s = staged_.front();
    if (std::rename(s.tmp.c_str(), s.path.c_str()) != 0) fail(s.path, ": cannot write: ", std::strerror(errno));
    staged_.erase(staged_.begin());
  }
}

void write_atomically(const std::string& path, const std::string& bytes) {
  OutputSet set;
  set.stage(path, bytes);
  set.commit();
}

}  // namespace vlc::files
