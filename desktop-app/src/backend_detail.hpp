#pragma once
// Helpers shared by the Backend's source files (not part of the desktop library's interface).
#include <QSettings>
#include <QString>
#include <string>

#include "gchat/identity/v1/identity.pb.h"

namespace gchat::desktop::detail {

namespace idv1 = ::gchat::identity::v1;

constexpr int kEnrolRetryMs = 3000;
constexpr int kHistoryPage = 50;

// Settings live in the user's configuration folder (XDG_CONFIG_HOME): relay, CA file, root key,
// device name, data folder, language, calendar, font scale, previews. No secret is ever saved here.
inline constexpr QSettings::Format kFormat = QSettings::IniFormat;

inline std::string hex_to_string(const QString& hex) {
  const QByteArray b = QByteArray::fromHex(hex.toLatin1());
  return std::string(b.constData(), static_cast<std::size_t>(b.size()));
}

inline bool is_hex(const QString& s) {
  for (QChar c : s) {
    if (!c.isDigit() && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) return false;
  }
  return true;
}

inline idv1::UserRef user_ref(const std::string& agency, const std::string& user) {
  idv1::UserRef r;
  r.set_agency_id(agency);
  r.set_user_id(user);
  return r;
}

}  // namespace gchat::desktop::detail
