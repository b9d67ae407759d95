#include "gchat/server/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace gchat::server::log {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
std::mutex g_mutex;

// Values with spaces, quotes or '=' are quoted so that lines stay machine-parsable.
void append_value(std::string& line, const std::string& v) {
  const bool quote = v.empty() || v.find_first_of(" \"=\n") != std::string::npos;
  if (!quote) {
    line += v;
    return;
  }
  line += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') line += '\\';
    line += c == '\n' ? ' ' : c;
  }
  line += '"';
}
}  // namespace

void set_level(LogLevel level) noexcept { g_level = static_cast<int>(level); }
bool enabled(LogLevel level) noexcept { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void write(LogLevel level, std::string_view event, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[96];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string line = "ts=";
  line += ts;
  line += " level=";
  line += to_string(level);
  line += " event=";
  line += event;
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    append_value(line, v);
  }
  line += '\n';
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string fingerprint(BytesView public_key) { return to_hex(public_key.first(std::min<std::size_t>(8, public_key.size()))); }

}  // namespace gchat::server::log
