// The Backend and the person's own identity: a renewed certificate or a changed clearance taken by
// the client core (CertificateChanged), the warning before this device's certificate ends, and the
// person's devices (list, remove a lost one, approve a new one).
#include <QDateTime>

#include "backend_detail.hpp"
#include "gchat/desktop/backend.hpp"

namespace gchat::desktop {

using namespace detail;  // NOLINT: this file's own helpers

namespace {
constexpr int kExpiryCheckMs = 3600 * 1000;  // days left are counted again every hour
}  // namespace

void Backend::start_identity() {
  expiry_check_.setInterval(kExpiryCheckMs);  // started with the main screen
  connect(&expiry_check_, &QTimer::timeout, this, &Backend::certificateChanged);
  // An administrator is told something else when the certificate is about to end.
  connect(this, &Backend::adminChanged, this, &Backend::certificateChanged);
}

void Backend::on_certificate(const api::CertificateChanged& changed) {
  // The header's badge, and everything else that reads the clearance, follow at once.
  api::Sender self = self_;
  *self.mutable_person() = changed.person();
  set_self(self);
  if (changed.not_after() > 0) certificate_not_after_ = changed.not_after();
  if (changed.clearance_changed() || changed.person().clearance() != changed.previous_clearance()) {
    clearance_change_ = changed;  // stays on screen until the person dismisses it
  } else {
    emit done(IdentityTexts::renewed(changed, presentation_));
  }
  emit certificateChanged();
}

QString Backend::clearance_notice() const {
  return clearance_change_.has_person() ? IdentityTexts::clearance_changed(clearance_change_, presentation_)
                                        : QString();
}

QString Backend::clearance_notice_detail() const {
  return clearance_change_.has_person() ? IdentityTexts::clearance_consequence(clearance_change_) : QString();
}

void Backend::dismissClearanceNotice() {
  if (!clearance_change_.has_person()) return;
  clearance_change_.Clear();
  emit certificateChanged();
}

ExpiryWarning Backend::expiry() const {
  return IdentityTexts::expiry_warning(certificate_not_after_, QDateTime::currentSecsSinceEpoch(),
                                       administrator(), presentation_);
}

bool Backend::certificate_expired() const {
  return certificate_not_after_ > 0 && certificate_not_after_ <= QDateTime::currentSecsSinceEpoch();
}

QString Backend::certificate_valid_until() const {
  if (certificate_not_after_ <= 0) return {};
  return format_date(QDateTime::fromSecsSinceEpoch(certificate_not_after_), presentation_.language,
                     presentation_.calendar);
}

// ---------------------------------------------------------------------------------------------
// My devices.
// ---------------------------------------------------------------------------------------------
void Backend::refreshDevices() {
  if (!client_) return;
  devices_loading_ = true;
  devices_error_.clear();
  emit devicesChanged();
  api::Request r;
  r.mutable_list_devices();
  submit(
      std::move(r),
      [this](const api::Response& resp) {
        devices_loading_ = false;
        if (resp.has_error()) {
          devices_error_ = IdentityTexts::device_error(resp.error());
        } else {
          devices_.reset(resp.devices());
        }
        emit devicesChanged();
      },
      false);
}

void Backend::removeDevice(const QString& device_key_hex) {
  const QByteArray key = QByteArray::fromHex(device_key_hex.toLatin1());
  const auto* device = devices_.find(key);
  if (!device) return;
  const QString name = QString::fromStdString(device->device_name());
  devices_error_.clear();
  emit devicesChanged();
  api::Request r;
  r.mutable_remove_device()->set_device_key(string_of(key));
  submit(std::move(r), [this, key, name](const api::Response& resp) {
    if (resp.has_error()) {
      devices_error_ = IdentityTexts::device_error(resp.error());
      emit devicesChanged();
      return;
    }
    devices_.mark_removed(key);
    emit done(tr("“%1” was removed: it can no longer sign in, and it is taken out of your conversations.")
                  .arg(name));
    refreshDevices();
  });
}

void Backend::approveLink(const QString& device_key_hex, const QString& device_name) {
  const QString key = device_key_hex.trimmed();
  if (key.size() != 64 || !is_hex(key)) {
    return set_error_text(tr("A device key is 64 hexadecimal digits, as the new device shows it."));
  }
  api::Request r;
  r.mutable_approve_link()->set_device_key(hex_to_string(key));
  r.mutable_approve_link()->set_device_name(device_name.trimmed().toStdString());
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    emit linkApproved(QString::fromLatin1(bytes_of(resp.link_approved().token()).toHex()));
  });
}

}  // namespace gchat::desktop
