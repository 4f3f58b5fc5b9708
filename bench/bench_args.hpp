// What the benchmark drivers vlc_bench_ann (bench/ann.cpp) and vlc_quality (bench/quality.cpp)
// share: their argument loop (--flag value pairs and bare switches) and the taxonomy reader.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include "vlc/clip_faithful.hpp"

namespace vlc {
namespace bench {

// "a,b,,c" → {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& s);

// Hands each argument of argv[1..] to `handle(arg, value)`; `value()` consumes and returns the
// next argument. `handle` returns false for an argument it does not know. An unknown argument
// or a flag without its value is reported on stderr as "<program>: …"; then the result is
// false (the caller exits with status 2).
using ArgHandler = std::function<bool(const std::string& arg, const std::function<std::string()>& value)>;
bool read_args(int argc, char** argv, const std::string& program, const ArgHandler& handle);

// The taxonomy file at `path`, parsed (parse_taxonomy); throws vlc::Error if it cannot be read.
Taxonomy read_taxonomy(const std::string& path);

}  // namespace bench
}  // namespace vlc
