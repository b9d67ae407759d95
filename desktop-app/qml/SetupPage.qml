// First start: which relay to use, its certificate authority and the government root key (all
// from the agency's administrator), and this device's name.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Page {
    objectName: "setupPage"
    background: Rectangle { color: Theme.background }
    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 40, 520)
        spacing: 10
        Label {
            text: qsTr("Set up G-Chat")
            font.pointSize: Theme.fontSize * 1.6
            font.bold: true
        }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.muted
            text: qsTr("Your agency's administrator gives you these three values.")
        }
        Label { text: qsTr("Server address (host:port)") }
        TextField { id: relayField; objectName: "relayField"; Layout.fillWidth: true; text: Backend.relay; focus: true }
        Label { text: qsTr("Server certificate authority (PEM file)") }
        TextField { id: caField; objectName: "caField"; Layout.fillWidth: true; text: Backend.caFile }
        Label { text: qsTr("Government root key") }
        TextField { id: rootField; objectName: "rootField"; Layout.fillWidth: true; text: Backend.rootKey }
        Label { text: qsTr("Name of this computer") }
        TextField { id: deviceField; objectName: "deviceField"; Layout.fillWidth: true; text: Backend.deviceName }
        Button {
            objectName: "setupButton"
            text: qsTr("Continue")
            highlighted: true
            Layout.alignment: Qt.AlignRight
            onClicked: Backend.configure(relayField.text, caField.text, rootField.text, deviceField.text)
        }
    }
}
