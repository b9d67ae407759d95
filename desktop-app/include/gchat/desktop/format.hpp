#pragma once
// What the desktop app writes on screen for the client core's values: classification labels and
// colours, times in the Thai (Buddhist era) or Gregorian calendar, people's names in the chosen
// language, key fingerprints. Pure functions of QtCore, tested without a display.

#include <QByteArray>
#include <QColor>
#include <QDateTime>
#include <QString>

namespace gchat::desktop {

enum class Language { thai, english };
enum class Calendar { buddhist, gregorian };

// The label of a classification level, Thai first: "ลับมาก / SECRET". Unknown levels read as the
// highest (a level the app does not know must never look harmless).
QString level_label(int level);
QString level_thai(int level);        // "ลับมาก"
QString level_english(int level);     // "SECRET"
QString level_english_name(int level);  // "Secret", "Top Secret": in running English text
// Banner and badge colour of a level; ทั่วไป (unclassified) has a neutral grey.
QColor level_color(int level);

// A message time: "16:40" when `at` is on the day of `now`, otherwise the date and time, e.g.
// "26 พ.ย. 2569 16:40" (Thai, Buddhist era) or "26 Nov 2026 16:40" (English, Gregorian). Both in
// local time.
QString format_time(const QDateTime& at, const QDateTime& now, Language language, Calendar calendar);
QString format_full_time(const QDateTime& at, Language language, Calendar calendar);
// A date alone, in local time: "26 พ.ย. 2569" or "26 Nov 2026".
QString format_date(const QDateTime& at, Language language, Calendar calendar);

// A device key's fingerprint as people compare it aloud: hex in groups of four, 16 bytes shown.
QString fingerprint(const QByteArray& key);

// A name in the chosen language, falling back to the other one.
QString pick_name(const QString& thai, const QString& english, Language language);

}  // namespace gchat::desktop
