#pragma once
// Structured logs: one line per event on stderr, `ts=... level=... event=... key=value ...`.
// Never pass payloads, keys or nonces; use fingerprint() for device keys.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "gchat/base/bytes.hpp"
#include "gchat/server/config.hpp"

namespace gchat::server::log {

void set_level(LogLevel level) noexcept;
bool enabled(LogLevel level) noexcept;

using Field = std::pair<std::string_view, std::string>;
void write(LogLevel level, std::string_view event, std::initializer_list<Field> fields = {});

inline void debug(std::string_view e, std::initializer_list<Field> f = {}) { write(LogLevel::debug, e, f); }
inline void info(std::string_view e, std::initializer_list<Field> f = {}) { write(LogLevel::info, e, f); }
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) { write(LogLevel::warn, e, f); }
inline void error(std::string_view e, std::initializer_list<Field> f = {}) { write(LogLevel::error, e, f); }

// First 8 bytes of a public key in hex: enough to correlate, not a secret.
std::string fingerprint(BytesView public_key);

}  // namespace gchat::server::log
