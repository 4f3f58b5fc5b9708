// vlc::Result into result.json: every field of core/include/vlc/result_fields.hpp under its
// name there, in its order; and vlc::Options: every row of core/include/vlc/option_table.hpp. Numeric arrays are written on one line; a non-finite number (a
// curve value that was not computed, a share of an empty vote) becomes null, which JSON can
// spell. With `words` (the --vocab file), each name also lists its nouns' words.
#pragma once
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>
#include "json.hpp"
#include "vlc/option_table.hpp"
#include "vlc/result_fields.hpp"

namespace vlc::json {

// The words of vocabulary rows `indices` (null without a vocabulary file).
inline void write_words(Writer& w, const std::vector<int>& indices, const std::vector<std::string>& words) {
  if (words.empty()) {
    w.value(nullptr);
    return;
  }
  w.begin_array(true);
  for (int i : indices)
    w.value(i >= 0 && i < static_cast<int>(words.size()) ? words[static_cast<std::size_t>(i)] : std::string());
  w.end_array();
}

class ResultWriter {
 public:
  ResultWriter(Writer& w, const std::vector<std::string>& words) : w_(w), words_(words) {}

  template <class T>
  void operator()(const char* name, const T& value) {
    w_.key(name);
    write(value);
  }

 private:
  void number(double x) {
    if (std::isfinite(x)) w_.value(x);
    else w_.value(nullptr);
  }
  void write(int x) { w_.value(x); }
  void write(bool x) { w_.value(x); }
  void write(double x) { number(x); }
  void write(std::int64_t x) { w_.value(static_cast<long long>(x)); }
  void write(const std::string& x) { w_.value(x); }
  void write(const std::vector<int>& x) { w_.array_value(x); }
  void write(const std::vector<double>& x) {
    w_.begin_array(true);
    for (double v : x) number(v);
    w_.end_array();
  }
  void write(const VectorD& x) {
    w_.begin_array(true);
    for (Eigen::Index i = 0; i < x.size(); ++i) number(x[i]);
    w_.end_array();
  }
  void write(const RowMatrixD& x) {  // one [x, y, …] per row
    w_.begin_array();
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      w_.begin_array(true);
      for (Eigen::Index j = 0; j < x.cols(); ++j) number(x(i, j));
      w_.end_array();
    }
    w_.end_array();
  }
  void write(const std::vector<std::vector<int>>& x) {
    w_.begin_array();
    for (const auto& v : x) w_.array_value(v);
    w_.end_array();
  }
  void write(const KEstimate* e) {
    if (e) write(*e);
    else w_.value(nullptr);
  }
  template <class R, class = std::enable_if_t<is_record<R>::value>>
  void write(const R& record) {
    w_.begin_object();
    for_each_field(record, *this);
    if constexpr (std::is_same_v<R, ClusterName>) {
      w_.key("words");
      write_words(w_, record.nouns, words_);
    }
    w_.end_object();
  }
  template <class R, class = std::enable_if_t<is_record<R>::value>>
  void write(const std::vector<R>& records) {
    w_.begin_array();
    for (const auto& r : records) write(r);
    w_.end_array();
  }

  Writer& w_;
  const std::vector<std::string>& words_;
};

// The fields of `r` into the object `w` is writing.
inline void write_result_fields(Writer& w, const Result& r, const std::vector<std::string>& words) {
  for_each_field(r, ResultWriter(w, words));
}

// Every row of the options table into the object `w` is writing, under its snake_case name:
// numbers, true/false, the choice's name, "auto" for an automatic K.
inline void write_option_fields(Writer& w, const Options& o) {
  for (const OptionRow& row : option_table()) {
    const OptionValue v = get_option(row, o);
    w.key(row.name);
    if (v.automatic) {
      w.value(row.auto_text);
      continue;
    }
    switch (row.type) {
      case OptionType::Int: w.value(static_cast<long long>(v.number)); break;
      case OptionType::Double: w.value(v.number); break;
      case OptionType::Bool: w.value(v.flag); break;
      case OptionType::Choice: w.value(v.text); break;
      case OptionType::Seed: w.value(static_cast<unsigned long long>(v.seed)); break;
    }
  }
}

}  // namespace vlc::json
