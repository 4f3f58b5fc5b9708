#include "support/taxonomy.hpp"
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace vlc {
namespace test {

const Taxonomy& clip_faithful_taxonomy() {
  static const Taxonomy tax = [] {
    std::ifstream in(VLC_TAXONOMY);
    REQUIRE(in.good());
    std::stringstream s;
    s << in.rdbuf();
    return parse_taxonomy(s.str());
  }();
  return tax;
}

}  // namespace test
}  // namespace vlc
