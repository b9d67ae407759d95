#pragma once
// Clearance levels (Regulation on Official Secrets B.E. 2544) and their labels: the one place
// where the Thai and English names and the display colours are written down. Thai comes first
// wherever both are shown.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gchat::identity {

enum class Clearance : std::uint8_t {
  unclassified = 0,  // ทั่วไป
  confidential = 1,  // ลับ
  secret = 2,        // ลับมาก
  top_secret = 3,    // ลับที่สุด
};
inline constexpr Clearance kHighestClearance = Clearance::top_secret;

struct ClearanceLabel {
  std::string_view thai;     // "ลับมาก"
  std::string_view english;  // "Secret"
  std::string_view banner;   // "SECRET": the upper-case English marking for banners
  std::string_view colour;   // "#C62828": banner colour, the same in every front end
};

const ClearanceLabel& label(Clearance level) noexcept;
// "ลับมาก / Secret"
std::string label_both(Clearance level);

// From the wire (a protobuf enum value or a stored integer): nullopt outside 0..3.
std::optional<Clearance> clearance_from_int(std::int64_t value) noexcept;
// From people: "2", "secret", "SECRET", "top-secret", "top_secret" or the Thai label.
std::optional<Clearance> parse_clearance(std::string_view text);

constexpr bool at_least(Clearance held, Clearance required) noexcept {
  return static_cast<std::uint8_t>(held) >= static_cast<std::uint8_t>(required);
}

}  // namespace gchat::identity
