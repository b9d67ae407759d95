// My devices: every device of this person as the server knows it, this one first, removed ones
// greyed. Another device (lost, stolen, replaced) is removed after a confirmation that names it and
// shows its key's fingerprint: it is revoked at once and taken out of every conversation.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Dialog {
    id: dialog
    objectName: "devicesDialog"
    parent: Overlay.overlay
    anchors.centerIn: parent
    width: Math.min(parent.width - 40, 640)
    height: Math.min(parent.height - 40, implicitHeight)
    modal: true
    title: qsTr("My devices")
    function openFresh() {
        Backend.refreshDevices()
        open()
    }
    footer: DialogButtonBox {
        alignment: Qt.AlignRight
        Button {
            objectName: "devicesRefresh"
            text: qsTr("Refresh")
            enabled: !Backend.devicesLoading
            DialogButtonBox.buttonRole: DialogButtonBox.ResetRole  // does not close the dialog
            onClicked: Backend.refreshDevices()
        }
        Button { objectName: "devicesClose"; text: qsTr("Close"); DialogButtonBox.buttonRole: DialogButtonBox.RejectRole }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.muted
            text: qsTr("Devices signed in as %1. Remove one you lost or no longer use: it is revoked at once and taken out of every conversation.")
                  .arg(Backend.selfName)
        }
        Label {
            objectName: "devicesError"
            visible: Backend.devicesError !== ""
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.danger
            text: "⚠ " + Backend.devicesError
        }
        BusyIndicator {
            running: Backend.devicesLoading && list.count === 0
            visible: running
            Layout.alignment: Qt.AlignHCenter
        }
        ListView {
            id: list
            objectName: "deviceList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.preferredHeight: contentHeight  // as tall as its rows, until the window bounds the dialog
            clip: true
            spacing: 6
            model: Backend.devices
            ScrollBar.vertical: ScrollBar { }
            delegate: Rectangle {
                id: row
                objectName: "device-" + model.name
                required property var model
                required property int index
                width: ListView.view.width
                implicitHeight: content.implicitHeight + 16
                radius: 6
                color: model.revoked ? "#eef1f3" : Theme.panel
                border.color: model.thisDevice ? Theme.brand : Theme.line
                border.width: model.thisDevice ? 2 : 1
                RowLayout {
                    id: content
                    anchors.fill: parent
                    anchors.margins: 8
                    spacing: 10
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 2
                        opacity: row.model.revoked ? 0.6 : 1
                        RowLayout {
                            Layout.fillWidth: true
                            spacing: 8
                            Label {
                                text: row.model.name
                                font.bold: true
                                font.strikeout: row.model.revoked
                                elide: Text.ElideRight
                                Layout.fillWidth: true
                            }
                            Rectangle {
                                visible: row.model.thisDevice || row.model.revoked
                                implicitWidth: chip.implicitWidth + 12
                                implicitHeight: chip.implicitHeight + 4
                                radius: height / 2
                                color: row.model.thisDevice ? Theme.brand : Theme.muted
                                Label {
                                    id: chip
                                    anchors.centerIn: parent
                                    text: row.model.thisDevice ? qsTr("this device") : qsTr("removed")
                                    color: "white"
                                    font.pointSize: Theme.fontSize * 0.85
                                }
                            }
                        }
                        RowLayout {
                            spacing: 6
                            Label { text: qsTr("Key"); color: "#33414a" }
                            Label {
                                objectName: "deviceFingerprint"
                                text: row.model.fingerprint
                                font.family: "monospace"
                                color: "#33414a"
                            }
                        }
                        Label {
                            text: qsTr("Last seen: %1").arg(row.model.lastSeen)
                            color: Theme.muted
                            font.pointSize: Theme.fontSize * 0.9
                        }
                    }
                    Button {
                        objectName: "remove-" + row.model.name
                        visible: !row.model.thisDevice && !row.model.revoked
                        text: qsTr("Remove…")
                        Layout.alignment: Qt.AlignVCenter
                        onClicked: removeConfirm.openFor(row.index)
                    }
                }
            }
        }
        Label {
            visible: !Backend.devicesLoading && list.count === 0 && Backend.devicesError === ""
            Layout.fillWidth: true
            color: Theme.muted
            text: qsTr("The server lists no devices.")
        }
    }

    ConfirmDialog {
        id: removeConfirm
        objectName: "removeDeviceConfirm"
        parent: Overlay.overlay
        property var device: ({ name: "", fingerprint: "", lastSeen: "", deviceKey: "" })
        function openFor(row) {
            device = Backend.devices.get(row)
            open()
        }
        title: qsTr("Remove this device?")
        text: qsTr("“%1”\nKey %2 · last seen: %3\n\nIt is revoked at once: it can no longer sign in, and it is taken out of every conversation. If you still have it, check that it shows the same key. This cannot be undone.")
              .arg(device.name).arg(device.fingerprint).arg(device.lastSeen)
        confirmText: qsTr("Remove device")
        onConfirmed: Backend.removeDevice(device.deviceKey)
    }
}
