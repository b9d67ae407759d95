#include "gchat/desktop/identity.hpp"

#include <QDateTime>
#include <algorithm>

#include "gchat/relay/v1/relay.pb.h"

namespace gchat::desktop {

namespace {

constexpr std::int64_t kDaySeconds = 24 * 3600;

QString date_of(std::int64_t seconds, const Presentation& p) {
  return format_date(QDateTime::fromSecsSinceEpoch(seconds), p.language, p.calendar);
}

// A level's name in the language shown, and in the other one beside it.
QString level_here(int level, Language l) {
  return l == Language::thai ? level_thai(level) : level_english_name(level);
}
QString level_there(int level, Language l) {
  return l == Language::thai ? level_english_name(level) : level_thai(level);
}

}  // namespace

QString IdentityTexts::clearance_changed(const api::CertificateChanged& c, const Presentation& p) {
  const int now = c.person().clearance(), before = c.previous_clearance();
  if (!c.clearance_changed() && now == before) return {};
  return tr("Your clearance is now %1 (%2) — it was %3")
      .arg(level_here(now, p.language), level_there(now, p.language), level_here(before, p.language));
}

QString IdentityTexts::clearance_consequence(const api::CertificateChanged& c) {
  const int now = c.person().clearance(), before = c.previous_clearance();
  if (now < before) {
    return tr(
        "Conversations classified above your new clearance are closed to you; all others go on as before.");
  }
  if (now > before) return tr("You can now create and join conversations up to your new clearance.");
  return {};
}

QString IdentityTexts::renewed(const api::CertificateChanged& c, const Presentation& p) {
  return tr("Your certificate has been renewed; it is valid until %1").arg(date_of(c.not_after(), p));
}

ExpiryWarning IdentityTexts::expiry_warning(std::int64_t not_after_s, std::int64_t now_s, bool administrator,
                                            const Presentation& p) {
  if (not_after_s <= 0) return {};
  const std::int64_t left = not_after_s - now_s;
  if (left > kExpiryWarningDays * kDaySeconds) return {};
  const QString date = date_of(not_after_s, p);
  if (left <= 0) {
    return {tr("This device's certificate expired on %1: the server refuses it.").arg(date),
            administrator
                ? tr("Renewal has failed: check that your agency's issuing service (gchat-admin serve) is "
                     "running and that the agency's yearly certificate renewal was done.")
                : tr("Please contact your agency's administrator: the service that renews certificates is "
                     "not working.")};
  }
  // Whole days left, rounded up: "expires in 1 day" until the last second.
  const int days = static_cast<int>((left + kDaySeconds - 1) / kDaySeconds);
  return {tr("This device's certificate expires in %n day(s), on %1.", nullptr, days).arg(date),
          administrator
              ? tr("Certificates normally renew by themselves 30 days ahead, so your agency's issuing "
                   "service (gchat-admin serve) is not renewing them: check that it is running and "
                   "reaches the server.")
              : tr("Certificates normally renew by themselves 30 days ahead, so your agency's service that "
                   "renews them is not working. Please contact your agency's administrator before then.")};
}

QString IdentityTexts::device_error(const api::Error& e) {
  namespace relay = ::gchat::relay::v1;
  switch (e.code()) {
    case api::OFFLINE:
      return tr(
          "Not connected to the server: your devices cannot be listed or removed now. Try again when the "
          "connection is back.");
    case api::INVALID_ARGUMENT:
      return tr("This device cannot remove itself. Remove it from another of your devices.");
    case api::RELAY_REFUSED:
      switch (e.relay_code()) {
        case relay::REVOKED:
          return tr("That device has already been removed.");
        case relay::FORBIDDEN:
          return tr(
              "The server refused: a device is removed by its owner from another of their devices, or by an "
              "administrator.");
        case relay::UNKNOWN_DEVICE:
          return tr("The server does not know that device: it has never signed in.");
        case relay::NOT_SUPPORTED:
          return tr("This server does not manage devices (it runs without a government root).");
        case relay::STORAGE_UNAVAILABLE:
          return tr("The server could not save the change, so nothing was changed. Try again later.");
        default:
          return tr("The server refused: %1").arg(QString::fromStdString(e.message()));
      }
    default:
      return tr("Your devices could not be listed or changed: %1").arg(QString::fromStdString(e.message()));
  }
}

// ---------------------------------------------------------------------------------------------
int DeviceModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QString DeviceModel::name_of(const api::OwnDevice& d) const {
  // The relay's list carries the name only when the device's chain verifies for this person.
  return d.device_name().empty() ? tr("(device without a verified name)")
                                 : QString::fromStdString(d.device_name());
}

QVariant DeviceModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& d = rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case KeyRole:
      return QString::fromLatin1(bytes_of(d.device_key()).toHex());
    case Qt::DisplayRole:
    case NameRole:
      return name_of(d);
    case FingerprintRole:
      return QString::fromStdString(d.fingerprint());
    case LastSeenRole:
      if (d.this_device()) return tr("now");
      return d.last_seen_ms() == 0 ? tr("never signed in")
                                   : p_->time(static_cast<std::int64_t>(d.last_seen_ms()));
    case ThisDeviceRole:
      return d.this_device();
    case RevokedRole:
      return d.revoked();
    default:
      return {};
  }
}

QHash<int, QByteArray> DeviceModel::roleNames() const {
  return {{KeyRole, "deviceKey"},           {NameRole, "name"},
          {FingerprintRole, "fingerprint"}, {LastSeenRole, "lastSeen"},
          {ThisDeviceRole, "thisDevice"},   {RevokedRole, "revoked"}};
}

void DeviceModel::reset(const api::Devices& devices) {
  beginResetModel();
  rows_.assign(devices.devices().begin(), devices.devices().end());
  std::stable_sort(rows_.begin(), rows_.end(), [](const api::OwnDevice& a, const api::OwnDevice& b) {
    if (a.this_device() != b.this_device()) return a.this_device();
    if (a.revoked() != b.revoked()) return b.revoked();
    return a.last_seen_ms() > b.last_seen_ms();
  });
  endResetModel();
  emit countChanged();
}

void DeviceModel::mark_removed(const QByteArray& device_key) {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (bytes_of(rows_[i].device_key()) == device_key) {
      rows_[i].set_revoked(true);
      emit dataChanged(index(static_cast<int>(i)), index(static_cast<int>(i)), {RevokedRole});
    }
  }
}

void DeviceModel::refresh_texts() {
  if (!rows_.empty()) emit dataChanged(index(0), index(rowCount() - 1));
}

const api::OwnDevice* DeviceModel::find(const QByteArray& device_key) const {
  for (const auto& d : rows_) {
    if (bytes_of(d.device_key()) == device_key) return &d;
  }
  return nullptr;
}

QVariantMap DeviceModel::get(int row) const {
  return row_as_map(*this, row);
}

}  // namespace gchat::desktop
