// Unit tests of native/files.hpp (issue 14): inputs read without blocking or SIGBUS, outputs
// written all or none through unpredictable temporary files.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "files.hpp"
#include "support.hpp"
#include "vlc/error.hpp"

namespace {

using vlc_cli_test::error_of;

const std::string& scratch_dir() { return vlc_cli_test::temp_dir(); }
std::string path_of(const std::string& name) { return vlc_cli_test::temp_path(name); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void put(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// How many entries the scratch folder has (to see temporaries left behind).
int entries_in_scratch() {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(scratch_dir())) (void)e, ++n;
  return n;
}

}  // namespace

using Catch::Contains;
using vlc::files::InputFile;
using vlc::files::OutputSet;

TEST_CASE("files: a FIFO or a device is refused at open, without blocking") {
  const std::string fifo = path_of("fifo");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // A plain open(O_RDONLY) would wait here for a writer forever.
  CHECK_THAT(error_of([&] { InputFile f(fifo); }), Contains(fifo) && Contains("named pipe (FIFO)"));
  CHECK_THAT(error_of([] { InputFile f("/dev/zero"); }), Contains("/dev/zero") && Contains("character device"));
  CHECK_THAT(error_of([] { InputFile f("/tmp"); }), Contains("a directory"));
}

TEST_CASE("files: a symlink loop is reported as such, not as a missing file") {
  const std::string loop = path_of("loop");
  REQUIRE(symlink(loop.c_str(), loop.c_str()) == 0);
  CHECK_THAT(error_of([&] { InputFile f(loop); }), Contains("Too many levels of symbolic links"));
}

TEST_CASE("files: a file that shrinks while it is read is an error") {
  const std::string p = path_of("shrinking");
  put(p, std::string(10000, 'x'));
  InputFile f(p);
  REQUIRE(f.size() == 10000);
  REQUIRE(truncate(p.c_str(), 100) == 0);
  char buf[1000];
  f.read_at(0, 100, buf);  // what is left still reads
  CHECK_THAT(error_of([&] { f.read_at(0, 1000, buf); }), Contains(p) && Contains("shrank while being read"));
}

TEST_CASE("files: outputs are renamed into place only at commit; an uncommitted set leaves nothing") {
  const std::string a = path_of("a.json"), b = path_of("b.csv");
  put(a, "old a");
  const int before = entries_in_scratch();
  {
    OutputSet set;
    set.stage(a, "new a");
    set.stage(b, "new b");
    CHECK(slurp(a) == "old a");  // staged, not yet replaced
    CHECK(entries_in_scratch() == before + 2);
  }
  CHECK(slurp(a) == "old a");
  CHECK_FALSE(std::filesystem::exists(b));
  CHECK(entries_in_scratch() == before);  // the temporaries are gone
  OutputSet set;
  set.stage(a, "new a");
  set.stage(b, "new b");
  set.commit();
  CHECK(slurp(a) == "new a");
  CHECK(slurp(b) == "new b");
  CHECK(entries_in_scratch() == before + 1);
}

TEST_CASE("files: the replaced file's mode is kept; a new file gets 0666 minus the umask") {
  const std::string p = path_of("mode.txt");
  put(p, "x");
  REQUIRE(chmod(p.c_str(), 0640) == 0);
  vlc::files::write_atomically(p, "y");
  struct stat st;
  REQUIRE(stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);

  const mode_t mask = umask(022);
  const std::string fresh = path_of("fresh.txt");
  vlc::files::write_atomically(fresh, "z");
  umask(mask);
  REQUIRE(stat(fresh.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("files: a symlink output is replaced, its target and other hard links keep their content") {
  const std::string target = path_of("target.txt"), link = path_of("link.txt");
  const std::string hard = path_of("hard.txt"), other = path_of("other.txt");
  put(target, "target");
  REQUIRE(symlink(target.c_str(), link.c_str()) == 0);
  vlc::files::write_atomically(link, "new");
  CHECK(slurp(target) == "target");
  CHECK(slurp(link) == "new");
  struct stat st;
  REQUIRE(lstat(link.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));

  put(hard, "shared");
  REQUIRE(::link(hard.c_str(), other.c_str()) == 0);
  vlc::files::write_atomically(hard, "replaced");
  CHECK(slurp(hard) == "replaced");
  CHECK(slurp(other) == "shared");  // documented in docs/bad-input.md
}

TEST_CASE("files: check_writable names a missing folder, a folder as output and a device") {
  CHECK_THAT(error_of([] { OutputSet::check_writable("/nonexistent-vlc/x.json"); }),
             Contains("/nonexistent-vlc/x.json") && Contains("No such file or directory"));
  CHECK_THAT(error_of([] { OutputSet::check_writable(scratch_dir()); }), Contains("a directory"));
  CHECK_THAT(error_of([] { OutputSet::check_writable("/dev/null"); }), Contains("character device"));
  CHECK(error_of([] { OutputSet::check_writable(path_of("new.json")); }) == "(no error)");
}

TEST_CASE("files: identify sees the same file through another spelling or a symlink") {
  const std::string p = path_of("same.npy"), l = path_of("same-link.npy");
  put(p, "x");
  REQUIRE(symlink(p.c_str(), l.c_str()) == 0);
  CHECK(vlc::files::identify(p) == vlc::files::identify(l));
  CHECK(vlc::files::identify(p) == vlc::files::identify(scratch_dir() + "/./same.npy"));
  CHECK(vlc::files::identify(path_of("future.json")) == vlc::files::identify(scratch_dir() + "/../" +
                                                                           std::filesystem::path(scratch_dir()).filename().string() +
                                                                           "/future.json"));
  CHECK_FALSE(vlc::files::identify(p) == vlc::files::identify(path_of("future.json")));
}

TEST_CASE("files: printable escapes NUL and terminal escapes") {
  CHECK(vlc::files::printable(std::string("<f\0\x1b[31m", 8)) == "<f\\x00\\x1b[31m");
  CHECK(vlc::files::printable("caf\xc3\xa9") == "caf\\xc3\\xa9");
}
