// WordNet depths (models/vocab/wordnet_nouns.tsv, made by models/build_vocab.py from Debian's
// wordnet-base) and the hierarchy mask (hierarchy.hpp, seed 003).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "vlc/error.hpp"
#include "vlc/hierarchy.hpp"

namespace {

// The path is relative to tests/fixtures so it works natively and under node (NODERAWFS).
std::map<std::string, int> read_depths() {
  const std::string path = VLC_TEST_FIXTURES "/../../models/vocab/wordnet_nouns.tsv";
  std::ifstream in(path);
  REQUIRE(in.good());
  std::map<std::string, int> depth;
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "word\tdepth\toffset");
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string word, d;
    std::getline(fields, word, '\t');
    std::getline(fields, d, '\t');
    REQUIRE(depth.count(word) == 0);  // deduplicated
    depth[word] = std::stoi(d);
  }
  return depth;
}

}  // namespace

TEST_CASE("WordNet depths of known nouns", "[hierarchy]") {
  const auto depth = read_depths();
  CHECK(depth.size() > 10000);
  CHECK(depth.size() < 30000);
  CHECK(depth.at("entity") == 0);
  CHECK(depth.at("physical entity") == 1);  // multiword lemma, '_' → ' '
  CHECK(depth.at("object") == 2);
  // dog.n.01 (`wn dog -hypen`, sense 1) has two hypernyms, canine (a 13-link chain to entity)
  // and domestic animal; the shorter path is dog → domestic animal → animal → organism →
  // living thing → whole → object → physical entity → entity: 8 links.
  CHECK(depth.at("dog") == 8);
  CHECK(depth.at("organism") == 5);
}

TEST_CASE("hierarchy mask drops the top levels", "[hierarchy]") {
  CHECK(vlc::hierarchy_mask({0, 1, 2, 8, -1}, 3) == std::vector<std::uint8_t>{0, 0, 0, 1, 1});
  CHECK(vlc::hierarchy_mask({0, 4, 5, 13}) == std::vector<std::uint8_t>{0, 0, 1, 1});  // default 5
  CHECK(vlc::hierarchy_mask({0, 1}, 0) == std::vector<std::uint8_t>{1, 1});
  CHECK_THROWS_AS(vlc::hierarchy_mask({}, 3), vlc::Error);
}
