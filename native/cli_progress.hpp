// The progress line of `vlcluster cluster` on stderr (stage, percent, ETA) and the timing format.
#pragma once
#include <chrono>
#include <string>

namespace vlc::cli {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t);
// "0.13s" below 10 s, "12.3s" above.
std::string format_seconds(double s);

class Progress {
 public:
  // Disabled (--quiet, or stderr not a terminal): every call does nothing.
  explicit Progress(bool enabled) : enabled_(enabled) {}

  // Redraws "\r  stage  NN%  ETA ..." at most every 100 ms, and at 100 %.
  void update(const std::string& stage, double fraction);
  // Clears the progress line so the next output starts on a clean line.
  void clear();

 private:
  static std::string format_duration(double s);

  bool enabled_;
  bool drawn_ = false;
  std::string stage_;
  Clock::time_point stage_start_, last_draw_;
};

}  // namespace vlc::cli
