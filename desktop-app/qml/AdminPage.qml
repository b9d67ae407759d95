// Clearance officers: find a person of the agency, see their certified clearance and devices,
// change the clearance or revoke a device, each after a confirmation. Without an administrator
// key on this device, the page offers to import one (gchat-admin writes the key and chain files).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Page {
    id: page
    objectName: "adminPage"
    property int selected: -1
    background: Rectangle { color: Theme.background }

    // Import an administrator key.
    ColumnLayout {
        visible: !Backend.clearanceOfficer
        anchors.centerIn: parent
        width: Math.min(parent.width - 40, 520)
        spacing: 8
        Label { text: qsTr("Clearance officer"); font.bold: true; font.pointSize: Theme.fontSize * 1.4 }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.muted
            text: qsTr("These screens are for clearance officers. Import your administrator key and chain (from gchat-admin) to use them on this computer.")
        }
        TextField { id: keyPath; objectName: "adminKeyPath"; Layout.fillWidth: true; placeholderText: qsTr("Administrator key file") }
        TextField { id: chainPath; objectName: "adminChainPath"; Layout.fillWidth: true; placeholderText: qsTr("Administrator chain file") }
        TextField { id: keyPass; objectName: "adminKeyPass"; Layout.fillWidth: true; echoMode: TextInput.Password; placeholderText: qsTr("Key passphrase") }
        Button {
            objectName: "importAdminButton"
            text: qsTr("Import")
            Layout.alignment: Qt.AlignRight
            onClicked: { Backend.importAdminKey(keyPath.text, keyPass.text, chainPath.text); keyPass.text = "" }
        }
    }

    RowLayout {
        visible: Backend.clearanceOfficer
        anchors.fill: parent
        anchors.margins: 12
        spacing: 12
        ColumnLayout {
            Layout.preferredWidth: parent.width * 0.45
            Layout.fillHeight: true
            Label { text: qsTr("People of %1").arg(Backend.adminAgency); font.bold: true; font.pointSize: Theme.fontSize * 1.3 }
            TextField {
                id: query
                objectName: "adminQuery"
                Layout.fillWidth: true
                placeholderText: qsTr("Name or user id (Enter to search)")
                onAccepted: { page.selected = -1; Backend.adminFind(text) }
                Keys.onDownPressed: list.forceActiveFocus()
            }
            ListView {
                id: list
                objectName: "adminPeople"
                Layout.fillWidth: true
                Layout.fillHeight: true
                clip: true
                model: Backend.adminPeople
                keyNavigationEnabled: true
                onCurrentIndexChanged: page.selected = currentIndex
                delegate: ItemDelegate {
                    id: row
                    required property var model
                    required property int index
                    width: ListView.view.width
                    highlighted: page.selected === index
                    onClicked: { page.selected = index; list.currentIndex = index }
                    contentItem: RowLayout {
                        ColumnLayout {
                            Layout.fillWidth: true
                            spacing: 0
                            Label { text: row.model.name; font.bold: true }
                            Label { text: row.model.agencyId + "/" + row.model.userId; color: Theme.muted; font.pointSize: Theme.fontSize * 0.85 }
                        }
                        LevelBadge { level: row.model.clearance }
                    }
                }
            }
        }
        // The chosen person.
        Frame {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: page.selected >= 0
            readonly property var person: Backend.adminPeople.count > page.selected && page.selected >= 0
                ? Backend.adminPeople.get(page.selected)
                : ({ name: "", key: "", clearance: 0, devices: [], deviceKeys: [] })
            id: detail
            ColumnLayout {
                anchors.fill: parent
                spacing: 8
                Label { objectName: "adminPersonName"; text: detail.person.name; font.bold: true; font.pointSize: Theme.fontSize * 1.3 }
                Label { text: detail.person.key; color: Theme.muted }
                RowLayout {
                    Label { text: qsTr("Clearance now:") }
                    LevelBadge { level: detail.person.clearance }
                }
                RowLayout {
                    Label { text: qsTr("New clearance:") }
                    ComboBox {
                        id: newLevel
                        objectName: "newClearanceCombo"
                        model: [0, 1, 2, 3].map(l => Backend.levelLabel(l))
                        Layout.fillWidth: true
                    }
                    Button {
                        objectName: "changeClearanceButton"
                        text: qsTr("Change…")
                        enabled: newLevel.currentIndex !== detail.person.clearance
                        onClicked: clearanceConfirm.open()
                    }
                }
                Label { text: qsTr("Devices"); font.bold: true }
                Repeater {
                    model: detail.person.devices
                    delegate: RowLayout {
                        required property string modelData
                        required property int index
                        Label { text: "• " + modelData; Layout.fillWidth: true; elide: Text.ElideRight }
                        Button {
                            text: qsTr("Revoke…")
                            onClicked: { revokeConfirm.deviceKey = detail.person.deviceKeys[index]; revokeConfirm.deviceName = modelData; revokeConfirm.open() }
                        }
                    }
                }
                Item { Layout.fillHeight: true }
            }
        }
    }

    ConfirmDialog {
        id: clearanceConfirm
        objectName: "clearanceConfirm"
        title: qsTr("Change clearance?")
        text: qsTr("%1 goes from %2 to %3. If lower, they leave every conversation above the new level at once.")
              .arg(detail.person.name).arg(Backend.levelLabel(detail.person.clearance)).arg(Backend.levelLabel(newLevel.currentIndex))
        confirmText: qsTr("Change")
        onConfirmed: Backend.setClearance(detail.person.key, newLevel.currentIndex)
    }
    ConfirmDialog {
        id: revokeConfirm
        objectName: "revokeConfirm"
        property string deviceKey: ""
        property string deviceName: ""
        title: qsTr("Revoke this device?")
        text: qsTr("%1 of %2 will be cut off from every conversation and cannot be used again.").arg(deviceName).arg(detail.person.name)
        confirmText: qsTr("Revoke")
        onConfirmed: Backend.revokeDevice(deviceKey)
    }
    Connections {
        target: Backend
        function onDone(what) { if (query.text !== "" || Backend.adminPeople.count > 0) Backend.adminFind(query.text) }
    }
}
