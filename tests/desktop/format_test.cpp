#include "gchat/desktop/format.hpp"

#include <doctest/doctest.h>

using namespace gchat::desktop;

TEST_CASE("classification labels put the Thai word first and unknown levels read as the highest") {
  CHECK(level_label(0) == QStringLiteral("ทั่วไป / UNCLASSIFIED"));
  CHECK(level_label(1) == QStringLiteral("ลับ / CONFIDENTIAL"));
  CHECK(level_label(2) == QStringLiteral("ลับมาก / SECRET"));
  CHECK(level_label(3) == QStringLiteral("ลับที่สุด / TOP SECRET"));
  CHECK(level_label(7) == level_label(3));
  CHECK(level_label(-1) == level_label(3));
  CHECK(level_thai(2) == QStringLiteral("ลับมาก"));
  CHECK(level_english_name(1) == QStringLiteral("Confidential"));
  CHECK(level_english_name(3) == QStringLiteral("Top Secret"));
  CHECK(level_english_name(8) == level_english_name(3));
}

TEST_CASE("each classification level has its own colour") {
  for (int a = 0; a < 4; ++a) {
    for (int b = a + 1; b < 4; ++b) CHECK(level_color(a) != level_color(b));
  }
  CHECK(level_color(9) == level_color(3));
}

TEST_CASE("times are in the Thai calendar with Thai months, or Gregorian, and only the clock today") {
  const QDateTime at(QDate(2026, 11, 26), QTime(9, 5), Qt::LocalTime);
  const QDateTime later_same_day(QDate(2026, 11, 26), QTime(18, 0), Qt::LocalTime);
  const QDateTime next_day(QDate(2026, 11, 27), QTime(8, 0), Qt::LocalTime);
  CHECK(format_time(at, later_same_day, Language::thai, Calendar::buddhist) == QStringLiteral("09:05"));
  CHECK(format_time(at, next_day, Language::thai, Calendar::buddhist) == QStringLiteral("26 พ.ย. 2569 09:05"));
  CHECK(format_time(at, next_day, Language::thai, Calendar::gregorian) == QStringLiteral("26 พ.ย. 2026 09:05"));
  CHECK(format_time(at, next_day, Language::english, Calendar::gregorian) == QStringLiteral("26 Nov 2026 09:05"));
  CHECK(format_time(at, next_day, Language::english, Calendar::buddhist) == QStringLiteral("26 Nov 2569 BE 09:05"));
  CHECK(format_full_time(QDateTime(QDate(2027, 1, 1), QTime(0, 0, 7), Qt::LocalTime), Language::thai,
                         Calendar::buddhist) == QStringLiteral("1 ม.ค. 2570 00:00:07"));
  CHECK(format_date(at, Language::thai, Calendar::buddhist) == QStringLiteral("26 พ.ย. 2569"));
  CHECK(format_date(at, Language::english, Calendar::gregorian) == QStringLiteral("26 Nov 2026"));
}

TEST_CASE("a device key's fingerprint is its first 16 bytes in groups of four hex digits") {
  QByteArray key(32, '\0');
  for (int i = 0; i < 32; ++i) key[i] = static_cast<char>(i);
  CHECK(fingerprint(key) == QStringLiteral("0001 0203 0405 0607 0809 0a0b 0c0d 0e0f"));
  CHECK(fingerprint({}).isEmpty());
}

TEST_CASE("names follow the chosen language and fall back to the other one") {
  CHECK(pick_name("สมชาย", "Somchai", Language::thai) == QStringLiteral("สมชาย"));
  CHECK(pick_name("สมชาย", "Somchai", Language::english) == QStringLiteral("Somchai"));
  CHECK(pick_name("", "Somchai", Language::thai) == QStringLiteral("Somchai"));
  CHECK(pick_name("สมชาย", "", Language::english) == QStringLiteral("สมชาย"));
}
