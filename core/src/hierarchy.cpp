#include "vlc/hierarchy.hpp"
#include "vlc/error.hpp"

namespace vlc {

std::vector<std::uint8_t> hierarchy_mask(const std::vector<int>& depths, int top_levels) {
  require(!depths.empty(), "hierarchy_mask: the depth list is empty (one depth per vocabulary noun is needed)");
  std::vector<std::uint8_t> mask(depths.size(), 1);
  for (std::size_t l = 0; l < depths.size(); ++l)
    if (depths[l] >= 0 && depths[l] < top_levels) mask[l] = 0;  // seed 003: drop the top levels
  return mask;
}

}  // namespace vlc
