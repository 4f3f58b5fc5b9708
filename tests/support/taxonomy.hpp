// The CLIP-faithful generator's taxonomy (models/vocab/clip_faithful_taxonomy.tsv, the path
// VLC_TAXONOMY that tests/CMakeLists.txt defines), shared by the suites that generate its data.
#pragma once
#include "vlc/clip_faithful.hpp"

namespace vlc {
namespace test {

// Read and parsed once; a missing file fails the calling test (REQUIRE).
const Taxonomy& clip_faithful_taxonomy();

}  // namespace test
}  // namespace vlc
