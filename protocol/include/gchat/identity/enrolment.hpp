#pragma once
// One-time enrolment codes: what an administrator hands to a person, and the only form of it the
// relay keeps (a hash). 20 symbols of a 32-letter alphabet without look-alikes (100 bits), shown
// in groups of four: "K7QM-3WXD-9HTP-RB4N-ZC2E". Case, spaces and dashes do not matter.

#include <optional>
#include <string>
#include <string_view>

#include "gchat/base/bytes.hpp"

namespace gchat::identity {

std::string new_enrolment_code();
// The canonical form (upper case, no separators), or nullopt when the text is not a code.
std::optional<std::string> normalized_enrolment_code(std::string_view text);
// SHA-256("G-Chat enrolment code v1" || 0x00 || canonical code).
Bytes enrolment_code_hash(std::string_view canonical_code);

}  // namespace gchat::identity
