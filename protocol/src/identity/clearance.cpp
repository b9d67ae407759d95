#include "gchat/identity/clearance.hpp"

#include <array>
#include <cctype>
#include <string>

namespace gchat::identity {
namespace {

// Colours: grey for unclassified, then the conventional blue, red and deep orange of classified
// markings, all readable with white text.
constexpr std::array<ClearanceLabel, 4> kLabels{{
    {"ทั่วไป", "Unclassified", "UNCLASSIFIED", "#546E7A"},
    {"ลับ", "Confidential", "CONFIDENTIAL", "#1565C0"},
    {"ลับมาก", "Secret", "SECRET", "#C62828"},
    {"ลับที่สุด", "Top Secret", "TOP SECRET", "#BF360C"},
}};

std::string normalized(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '-' || c == '_') c = ' ';
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

const ClearanceLabel& label(Clearance level) noexcept { return kLabels[static_cast<std::size_t>(level)]; }

std::string label_both(Clearance level) {
  const auto& l = label(level);
  std::string out(l.thai);
  out += " / ";
  out += l.english;
  return out;
}

std::optional<Clearance> clearance_from_int(std::int64_t value) noexcept {
  if (value < 0 || value > static_cast<std::int64_t>(kHighestClearance)) return std::nullopt;
  return static_cast<Clearance>(value);
}

std::optional<Clearance> parse_clearance(std::string_view text) {
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '3') return static_cast<Clearance>(text[0] - '0');
  const std::string n = normalized(text);
  for (std::size_t i = 0; i < kLabels.size(); ++i) {
    if (text == kLabels[i].thai || n == normalized(kLabels[i].english)) return static_cast<Clearance>(i);
  }
  return std::nullopt;
}

}  // namespace gchat::identity
