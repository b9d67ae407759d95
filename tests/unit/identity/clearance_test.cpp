#include "gchat/identity/clearance.hpp"

#include <doctest/doctest.h>

using namespace gchat::identity;

TEST_CASE("the four clearance levels have their Thai and English labels, Thai first") {
  CHECK(label(Clearance::unclassified).thai == "ทั่วไป");
  CHECK(label(Clearance::confidential).thai == "ลับ");
  CHECK(label(Clearance::secret).thai == "ลับมาก");
  CHECK(label(Clearance::top_secret).thai == "ลับที่สุด");
  CHECK(label(Clearance::top_secret).english == "Top Secret");
  CHECK(label(Clearance::secret).banner == "SECRET");
  CHECK(label_both(Clearance::secret) == "ลับมาก / Secret");
  for (int i = 0; i <= 3; ++i) CHECK(label(static_cast<Clearance>(i)).colour.size() == 7);
}

TEST_CASE("levels are ordered and values outside 0..3 are refused") {
  CHECK(at_least(Clearance::top_secret, Clearance::secret));
  CHECK(at_least(Clearance::secret, Clearance::secret));
  CHECK_FALSE(at_least(Clearance::confidential, Clearance::secret));
  CHECK(clearance_from_int(3) == Clearance::top_secret);
  CHECK_FALSE(clearance_from_int(4).has_value());
  CHECK_FALSE(clearance_from_int(-1).has_value());
}

TEST_CASE("people can name a level by number, English or Thai") {
  CHECK(parse_clearance("2") == Clearance::secret);
  CHECK(parse_clearance("secret") == Clearance::secret);
  CHECK(parse_clearance("TOP-SECRET") == Clearance::top_secret);
  CHECK(parse_clearance("top_secret") == Clearance::top_secret);
  CHECK(parse_clearance("ลับ") == Clearance::confidential);
  CHECK(parse_clearance("ลับที่สุด") == Clearance::top_secret);
  CHECK_FALSE(parse_clearance("4").has_value());
  CHECK_FALSE(parse_clearance("secretive").has_value());
  CHECK_FALSE(parse_clearance("").has_value());
}
