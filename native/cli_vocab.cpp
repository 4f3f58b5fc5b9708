#include "cli_vocab.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "files.hpp"
#include "vlc/error.hpp"

namespace vlc::cli {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
    out.push_back(line.substr(start, tab - start));
  out.push_back(line.substr(start));
  return out;
}

int parse_depth(const std::string& path, std::size_t line_number, const std::string& text) {
  if (text.empty()) return -1;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v < -1 || v > 1000)
    vlc::fail(path, ": line ", line_number, ": depth \"", vlc::files::printable(text),
              "\" is not a WordNet depth (an integer ≥ 0, 0 = the root \"entity\"; -1 or empty = unknown)");
  return static_cast<int>(v);
}

// Bounds of a words file (issue 14: `--vocab /dev/zero` was read up to 1 GB). The largest
// vocabulary here, models/vocab/wordnet_nouns.tsv, is 0.25 MB with lines of at most 54 bytes.
constexpr std::size_t kVocabMaxBytes = std::size_t{64} << 20;
constexpr std::size_t kVocabMaxLine = 4096;

// The whole words file, refused when it is too large or in an encoding whose lines would be
// miscounted: UTF-16 (NUL bytes) and CR-only line ends (one single "line").
std::string read_vocab_text(const std::string& path) {
  vlc::files::InputFile file(path);
  if (file.size() > kVocabMaxBytes)
    vlc::fail(path, ": is ", file.size(), " bytes, above the limit of ", kVocabMaxBytes >> 20,
              " MiB for a vocabulary (one noun per line); is it the right file?");
  std::string text(file.size(), '\0');
  file.read_at(0, text.size(), text.data());
  if (text.rfind("\xff\xfe", 0) == 0 || text.rfind("\xfe\xff", 0) == 0)
    vlc::fail(path, ": is UTF-16 encoded (it starts with a UTF-16 byte-order mark); save it as UTF-8, one noun per line");
  if (const auto nul = text.find('\0'); nul != std::string::npos)
    vlc::fail(path, ": contains a NUL byte (at byte ", nul, "): UTF-16 or binary, not a UTF-8 text file; "
              "save it as UTF-8, one noun per line");
  for (std::size_t cr = text.find('\r'); cr != std::string::npos; cr = text.find('\r', cr + 1))
    if (cr + 1 == text.size() || text[cr + 1] != '\n')
      vlc::fail(path, ": line ", std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(cr), '\n') + 1,
                " has a carriage return (CR) that is not followed by a line feed: CR-only (old Mac) line ends? "
                "Use LF or CRLF line ends");
  return text;
}

std::vector<std::string> vocab_lines(const std::string& path, const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end - start > kVocabMaxLine)
      vlc::fail(path, ": line ", lines.size() + 1, " is longer than ", kVocabMaxLine,
                " bytes; a vocabulary has one noun per line");
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lines.empty() && line.rfind("\xef\xbb\xbf", 0) == 0) line = line.substr(3);  // UTF-8 BOM
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

}  // namespace

Vocabulary read_vocab(const std::string& path) {
  std::vector<std::string> lines = vocab_lines(path, read_vocab_text(path));
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  Vocabulary v;
  // A header "word<TAB>...": the columns by name; otherwise every line is one noun.
  std::size_t first = 0, depth_column = 0, parent_column = 0;  // 0: none (column 0 is the word)
  if (!lines.empty() && lines[0].rfind("word\t", 0) == 0) {
    first = 1;
    const std::vector<std::string> header = split_tabs(lines[0]);
    for (std::size_t c = 1; c < header.size(); ++c)
      if (header[c] == "depth") depth_column = c;
      else if (header[c] == "parent") parent_column = c;
  }
  for (std::size_t i = first; i < lines.size(); ++i) {
    const std::size_t line_number = i + 1;
    if (lines[i].find_first_not_of(" \t") == std::string::npos)
      vlc::fail(path, ": line ", line_number, " is empty (expected one noun per line)");
    if (first == 0) {
      v.words.push_back(lines[i]);
      continue;
    }
    const std::vector<std::string> fields = split_tabs(lines[i]);
    if (fields[0].find_first_not_of(' ') == std::string::npos)
      vlc::fail(path, ": line ", line_number, " has an empty word (the first tab-separated field)");
    v.words.push_back(fields[0]);
    if (depth_column > 0) {
      if (fields.size() <= depth_column)
        vlc::fail(path, ": line ", line_number, " has no depth: ", fields.size(),
                  " tab-separated field(s), but the header puts \"depth\" in column ", depth_column + 1);
      v.depths.push_back(parse_depth(path, line_number, fields[depth_column]));
    }
    if (parent_column > 0) {
      // The hypernym's row among the words (0-based, -1 for none): names prefer specific nouns.
      const std::string text = fields.size() > parent_column ? fields[parent_column] : "";
      char* end = nullptr;
      const long parent = std::strtol(text.c_str(), &end, 10);
      const long row = static_cast<long>(v.words.size()) - 1;
      if (text.empty() || *end != '\0' || parent < -1 || parent == row)
        vlc::fail(path, ": line ", line_number, ": parent \"", vlc::files::printable(text),
                  "\" is not a word's row (0-based, other than its own) or -1");
      v.parents.push_back(static_cast<int>(parent));
    }
  }
  if (v.words.empty()) vlc::fail(path, ": no words (expected one noun per line)");
  for (std::size_t r = 0; r < v.parents.size(); ++r)
    if (v.parents[r] >= static_cast<int>(v.words.size()))
      vlc::fail(path, ": word ", r + 1, " (", vlc::files::printable(v.words[r]), "): parent row ", v.parents[r],
                " is past the last word (", v.words.size() - 1, ")");
  return v;
}

}  // namespace vlc::cli
