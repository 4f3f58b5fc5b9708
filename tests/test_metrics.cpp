// ACC/NMI/ARI against scikit-learn's values (fixtures/metrics_cases.txt, made by
// fixtures/make_metrics_fixtures.py) and the Hungarian solver against brute force.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>

#include "vlc/error.hpp"
#include "vlc/metrics.hpp"
#include "vlc/random.hpp"

namespace {

struct MetricsCase {
  std::string name;
  vlc::Labels truth, predicted;
  double acc = 0, nmi = 0, ari = 0;
};

vlc::Labels read_labels(std::istream& in, std::size_t n) {
  vlc::Labels out(n);
  for (auto& x : out) in >> x;
  return out;
}

// Mirrors gen_labels() in make_metrics_fixtures.py.
void generate_labels(MetricsCase& c, std::int64_t n, std::int64_t mt, std::int64_t at, std::int64_t mp,
                     std::int64_t ap) {
  c.truth.resize(n);
  c.predicted.resize(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t truth = (i * at % 1000003) % mt;
    const std::int64_t noise = (i * ap % 1000003) % mp;
    c.truth[i] = static_cast<int>(truth);
    c.predicted[i] = static_cast<int>(i % 5 == 0 ? noise : (truth * 7 + 3) % mp);
  }
}

std::vector<MetricsCase> read_cases() {
  const std::string path = std::string(VLC_TEST_FIXTURES) + "/metrics_cases.txt";
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<MetricsCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream head(line);
    std::string kind;
    MetricsCase c;
    std::size_t n = 0;
    head >> kind >> c.name >> n;
    if (kind == "case") {
      head >> c.acc >> c.nmi >> c.ari;
      c.truth = read_labels(in, n);
      c.predicted = read_labels(in, n);
      std::getline(in, line);  // rest of the predicted line
    } else {
      REQUIRE(kind == "gen");
      std::int64_t mt, at, mp, ap;
      head >> mt >> at >> mp >> ap >> c.acc >> c.nmi >> c.ari;
      generate_labels(c, static_cast<std::int64_t>(n), mt, at, mp, ap);
    }
    REQUIRE(head);
    REQUIRE(in);
    cases.push_back(std::move(c));
  }
  return cases;
}

double assignment_cost(const vlc::RowMatrixD& cost, const std::vector<int>& match) {
  double total = 0;
  for (std::size_t r = 0; r < match.size(); ++r) {
    if (match[r] >= 0) total += cost(static_cast<int>(r), match[r]);
  }
  return total;
}

// Minimum over every injective map of the smaller side into the larger.
double brute_force_cost(const vlc::RowMatrixD& cost) {
  const bool rows_small = cost.rows() <= cost.cols();
  const int small = static_cast<int>(std::min(cost.rows(), cost.cols()));
  const int large = static_cast<int>(std::max(cost.rows(), cost.cols()));
  std::vector<int> perm(large);
  std::iota(perm.begin(), perm.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double total = 0;
    for (int s = 0; s < small; ++s) total += rows_small ? cost(s, perm[s]) : cost(perm[s], s);
    best = std::min(best, total);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

}  // namespace

TEST_CASE("metrics match scikit-learn on the fixture's label pairs", "[metrics]") {
  const auto cases = read_cases();
  REQUIRE(cases.size() >= 25);
  for (const auto& c : cases) {
    INFO("case " << c.name);
    CHECK(vlc::accuracy(c.truth, c.predicted) == Approx(c.acc).margin(1e-9).epsilon(0));
    CHECK(vlc::nmi(c.truth, c.predicted) == Approx(c.nmi).margin(1e-9).epsilon(0));
    CHECK(vlc::ari(c.truth, c.predicted) == Approx(c.ari).margin(1e-9).epsilon(0));
  }
}

TEST_CASE("metrics are invariant to renaming labels and perfect on identical labelings", "[metrics]") {
  const vlc::Labels truth = {0, 0, 1, 1, 2, 2, 2};
  const vlc::Labels renamed = {9, 9, 4, 4, 100, 100, 100};
  CHECK(vlc::accuracy(truth, renamed) == 1.0);
  CHECK(vlc::nmi(truth, renamed) == Approx(1.0).margin(1e-12));
  CHECK(vlc::ari(truth, renamed) == 1.0);
}

TEST_CASE("hungarian finds the brute-force optimum on small matrices", "[metrics]") {
  vlc::Random rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int rows = 1 + static_cast<int>(rng.below(6));
    const int cols = 1 + static_cast<int>(rng.below(6));
    vlc::RowMatrixD cost(rows, cols);
    // Half the trials use small integers so that ties are common.
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j)
        cost(i, j) = trial % 2 ? static_cast<double>(rng.below(4)) - 1.0 : rng.normal() * 10.0;
    INFO("trial " << trial << ", " << rows << "x" << cols);
    const auto match = vlc::hungarian(cost);
    REQUIRE(match.size() == static_cast<std::size_t>(rows));
    // A valid assignment: each column at most once, exactly min(rows, cols) rows matched.
    std::vector<int> used(cols, 0);
    int matched = 0;
    for (int m : match) {
      REQUIRE(m >= -1);
      REQUIRE(m < cols);
      if (m >= 0) {
        ++used[m];
        ++matched;
      }
    }
    REQUIRE(matched == std::min(rows, cols));
    for (int u : used) REQUIRE(u <= 1);
    CHECK(assignment_cost(cost, match) == Approx(brute_force_cost(cost)).margin(1e-9));
  }
}

TEST_CASE("hungarian handles empty matrices and rejects non-finite costs", "[metrics]") {
  CHECK(vlc::hungarian(vlc::RowMatrixD(0, 3)).empty());
  CHECK(vlc::hungarian(vlc::RowMatrixD(2, 0)) == std::vector<int>{-1, -1});
  vlc::RowMatrixD bad = vlc::RowMatrixD::Zero(2, 2);
  bad(1, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(vlc::hungarian(bad), vlc::Error);
}

TEST_CASE("metrics reject mismatched lengths and negative labels", "[metrics]") {
  const vlc::Labels three = {0, 1, 1};
  const vlc::Labels four = {0, 1, 1, 0};
  CHECK_THROWS_WITH(vlc::accuracy(three, four), Catch::Contains("3") && Catch::Contains("4"));
  CHECK_THROWS_AS(vlc::nmi(three, four), vlc::Error);
  CHECK_THROWS_AS(vlc::ari(four, three), vlc::Error);
  const vlc::Labels negative = {0, -1, 1};
  CHECK_THROWS_WITH(vlc::accuracy(three, negative), Catch::Contains("-1"));
  CHECK_THROWS_AS(vlc::nmi(negative, three), vlc::Error);
  CHECK_THROWS_AS(vlc::ari(three, negative), vlc::Error);
}
