#include "gchat/desktop/format.hpp"

#include <array>

namespace gchat::desktop {
namespace {

constexpr int kTopLevel = 3;

int known(int level) { return level < 0 || level > kTopLevel ? kTopLevel : level; }

// Abbreviated Thai month names (the forms used on Thai official documents).
constexpr std::array<const char*, 12> kThaiMonths = {"ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
                                                     "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."};
constexpr std::array<const char*, 12> kEnglishMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// The Buddhist era counts from 543 BCE.
constexpr int kBuddhistOffset = 543;

QString date_text(const QDate& d, Language language, Calendar calendar) {
  const int year = calendar == Calendar::buddhist ? d.year() + kBuddhistOffset : d.year();
  const char* month = (language == Language::thai ? kThaiMonths : kEnglishMonths)[d.month() - 1];
  QString text = QString::number(d.day()) + ' ' + QString::fromUtf8(month) + ' ' + QString::number(year);
  if (calendar == Calendar::buddhist && language == Language::english) text += QStringLiteral(" BE");
  return text;
}

}  // namespace

QString level_thai(int level) {
  static const std::array<QString, 4> kLabels = {QStringLiteral("ทั่วไป"), QStringLiteral("ลับ"),
                                                 QStringLiteral("ลับมาก"), QStringLiteral("ลับที่สุด")};
  return kLabels[known(level)];
}

QString level_english(int level) {
  static const std::array<QString, 4> kLabels = {QStringLiteral("UNCLASSIFIED"), QStringLiteral("CONFIDENTIAL"),
                                                 QStringLiteral("SECRET"), QStringLiteral("TOP SECRET")};
  return kLabels[known(level)];
}

QString level_english_name(int level) {
  static const std::array<QString, 4> kNames = {QStringLiteral("Unclassified"), QStringLiteral("Confidential"),
                                                QStringLiteral("Secret"), QStringLiteral("Top Secret")};
  return kNames[known(level)];
}

QString level_label(int level) { return level_thai(level) + QStringLiteral(" / ") + level_english(level); }

QColor level_color(int level) {
  switch (known(level)) {
    case 0: return QColor(0x5f, 0x6b, 0x73);  // grey: nothing to warn about
    case 1: return QColor(0x15, 0x65, 0xc0);  // blue
    case 2: return QColor(0xd8, 0x4a, 0x00);  // orange
    default: return QColor(0xb7, 0x1c, 0x1c); // red
  }
}

QString format_time(const QDateTime& at, const QDateTime& now, Language language, Calendar calendar) {
  const QDateTime local = at.toLocalTime();
  const QString clock = local.toString(QStringLiteral("HH:mm"));
  if (local.date() == now.toLocalTime().date()) return clock;
  return date_text(local.date(), language, calendar) + ' ' + clock;
}

QString format_full_time(const QDateTime& at, Language language, Calendar calendar) {
  const QDateTime local = at.toLocalTime();
  return date_text(local.date(), language, calendar) + ' ' + local.toString(QStringLiteral("HH:mm:ss"));
}

QString format_date(const QDateTime& at, Language language, Calendar calendar) {
  return date_text(at.toLocalTime().date(), language, calendar);
}

QString fingerprint(const QByteArray& key) {
  const QString hex = QString::fromLatin1(key.left(16).toHex());
  QString out;
  for (int i = 0; i < hex.size(); i += 4) {
    if (!out.isEmpty()) out += ' ';
    out += hex.mid(i, 4);
  }
  return out;
}

QString pick_name(const QString& thai, const QString& english, Language language) {
  if (language == Language::thai) return thai.isEmpty() ? english : thai;
  return english.isEmpty() ? thai : english;
}

}  // namespace gchat::desktop
