#pragma once
// The people directory's query rule (FindPeople), the same on the relay and in clients: fields of at
// most 64 bytes; across agencies at least 3 characters, which the relay's trigram index needs (and
// fewer would match half the government).

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gchat::identity {

inline constexpr std::size_t kMaxDirectoryField = 64;      // bytes, query and agency id
inline constexpr std::size_t kMinCrossAgencyQuery = 3;     // characters (UTF-8 code points)

// Characters of a UTF-8 string: its bytes that are not continuation bytes.
inline std::size_t utf8_characters(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Why a query is refused (a sentence), or nullopt when it may be run.
inline std::optional<std::string> directory_query_problem(std::string_view query, std::string_view agency_id) {
  if (query.size() > kMaxDirectoryField || agency_id.size() > kMaxDirectoryField) {
    return "the query and the agency id are at most 64 bytes";
  }
  if (agency_id.empty() && utf8_characters(query) < kMinCrossAgencyQuery) {
    return "give at least 3 characters of a name or user id, or an agency id";
  }
  return std::nullopt;
}

}  // namespace gchat::identity
