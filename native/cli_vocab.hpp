// The --vocab file of `vlcluster cluster`: one noun per line, or a TSV with a header row.
#pragma once
#include <string>
#include <vector>

namespace vlc::cli {

// A vocabulary file: one noun per line, or a TSV whose first line is a header naming its
// columns, "word<TAB>depth<TAB>..." (models/vocab/wordnet_nouns.tsv; what
// models/build_text_assets.mjs reads): words from the "word" column, WordNet depths from the
// "depth" column (an empty depth or -1 = not in WordNet).
struct Vocabulary {
  std::vector<std::string> words;
  std::vector<int> depths;  // one per word when the file has a depth column, else empty
  std::vector<int> parents; // one per word when the file has a parent column (row of the hypernym, -1), else empty
};

// Reads and checks `path`; every problem is a vlc::Error naming the file and the line.
Vocabulary read_vocab(const std::string& path);

}  // namespace vlc::cli
