#include "cli_progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vlc::cli {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string format_seconds(double s) {
  char buf[32];
  if (s < 10) std::snprintf(buf, sizeof buf, "%.2fs", s);
  else std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

void Progress::update(const std::string& stage, double fraction) {
  if (!enabled_) return;
  auto now = Clock::now();
  if (stage != stage_) {
    stage_ = stage;
    stage_start_ = now;
    last_draw_ = Clock::time_point{};
  }
  fraction = std::clamp(fraction, 0.0, 1.0);
  if (fraction < 1.0 && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - stage_start_).count();
  char line[160];
  int n = std::snprintf(line, sizeof line, "\r  %-8s %3d%%", stage.c_str(), static_cast<int>(fraction * 100 + 1e-9));
  std::string text(line, static_cast<std::size_t>(std::max(n, 0)));
  if (fraction > 0.01 && fraction < 1.0 && elapsed > 0.5) {
    double eta = elapsed * (1 - fraction) / fraction;
    text += "  ETA " + format_duration(eta);
  } else if (fraction >= 1.0) {
    text += "  " + format_seconds(elapsed);
  }
  text += "\033[K";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::clear() {
  if (enabled_ && drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }
}

std::string Progress::format_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", std::ceil(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  return buf;
}

}  // namespace vlc::cli
