#pragma once
// What the app shows about the person's own identity: a renewed certificate or a changed clearance
// (CertificateChanged), a certificate close to its end, and the person's devices (ListDevices).
// Texts are English sources translated to Thai (Thai first on screen); no display needed to test.

#include <QAbstractListModel>
#include <QCoreApplication>
#include <cstdint>
#include <vector>

#include "gchat/client/v1/client.pb.h"
#include "gchat/desktop/models.hpp"

namespace gchat::desktop {

// A certificate normally renews by itself 30 days before it ends (the agency's issuing service);
// this close to the end, renewal has failed and the person must be told.
inline constexpr std::int64_t kExpiryWarningDays = 7;

// What the warning banner says: the headline (when the certificate ends) and what to do.
struct ExpiryWarning {
  QString headline, advice;
  bool empty() const { return headline.isEmpty(); }
};

struct IdentityTexts {
  Q_DECLARE_TR_FUNCTIONS(IdentityTexts)

 public:
  // A clearance change, as the banner's headline: "ชั้นความลับของคุณเปลี่ยนเป็น ลับ (Confidential)
  // — เดิม ลับมาก"; and what follows from it (lowered: conversations above are closed; raised:
  // conversations up to the new level are open). Both empty when the clearance did not change.
  static QString clearance_changed(const api::CertificateChanged& c, const Presentation& p);
  static QString clearance_consequence(const api::CertificateChanged& c);
  // A renewal that changed nothing else: "ใบรับรองของคุณต่ออายุแล้ว ใช้ได้ถึง 3 มี.ค. 2570".
  static QString renewed(const api::CertificateChanged& c, const Presentation& p);
  // Empty unless this device's chain (not_after, Unix seconds; 0 unknown) ends within
  // kExpiryWarningDays of `now_s` or has ended. Administrators are told to check the issuing
  // service; everyone else to contact their agency's administrator.
  static ExpiryWarning expiry_warning(std::int64_t not_after_s, std::int64_t now_s, bool administrator,
                                      const Presentation& p);
  // The sentence for a failed ListDevices or RemoveDevice.
  static QString device_error(const api::Error& e);
};

// The person's devices as the relay knows them: this device first, then the others by when they
// were last seen, removed (revoked) ones last.
class DeviceModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    KeyRole = Qt::UserRole + 1,
    NameRole,
    FingerprintRole,
    LastSeenRole,
    ThisDeviceRole,
    RevokedRole
  };
  explicit DeviceModel(const Presentation* p, QObject* parent = nullptr)
      : QAbstractListModel(parent), p_(p) {}

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  void reset(const api::Devices& devices);
  void clear() { reset({}); }
  // Greys a device at once after it was removed (the next list from the relay says the same).
  void mark_removed(const QByteArray& device_key);
  void refresh_texts();
  const api::OwnDevice* find(const QByteArray& device_key) const;
  // Every role of one row by its name (the confirmation dialog names the device and its key).
  Q_INVOKABLE QVariantMap get(int row) const;

 signals:
  void countChanged();

 private:
  QString name_of(const api::OwnDevice& d) const;
  const Presentation* p_;
  std::vector<api::OwnDevice> rows_;
};

}  // namespace gchat::desktop
