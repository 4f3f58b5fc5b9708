#include "bench_args.hpp"
#include <fstream>
#include <iostream>
#include <sstream>
#include "vlc/error.hpp"

namespace vlc {
namespace bench {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) if (!item.empty()) out.push_back(item);
  return out;
}

namespace {
struct MissingValue {};
}  // namespace

bool read_args(int argc, char** argv, const std::string& program, const ArgHandler& handle) {
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    const std::function<std::string()> value = [&]() -> std::string {
      if (a + 1 >= argc) throw MissingValue{};
      return argv[++a];
    };
    try {
      if (!handle(arg, value)) {
        std::cerr << program << ": unknown option " << arg << "\n";
        return false;
      }
    } catch (const MissingValue&) {
      std::cerr << program << ": " << arg << " needs a value\n";
      return false;
    }
  }
  return true;
}

Taxonomy read_taxonomy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read ", path);
  std::stringstream s;
  s << in.rdbuf();
  return parse_taxonomy(s.str());
}

}  // namespace bench
}  // namespace vlc
