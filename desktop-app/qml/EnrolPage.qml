// Enrolment: the one-time code from the administrator. Once redeemed, the app waits (asking again
// every few seconds) until the administrator has signed this person's certificate.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Page {
    objectName: "enrolPage"
    background: Rectangle { color: Theme.background }
    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 40, 460)
        spacing: 10
        Label {
            text: qsTr("Enrol this computer")
            font.pointSize: Theme.fontSize * 1.6
            font.bold: true
        }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.muted
            text: qsTr("Type the one-time code your agency's administrator gave you in person.")
        }
        TextField {
            id: code
            objectName: "codeField"
            Layout.fillWidth: true
            placeholderText: qsTr("Enrolment code")
            enabled: !Backend.enrolWaiting
            focus: true
            onAccepted: Backend.enrol(text)
        }
        RowLayout {
            visible: Backend.enrolWaiting
            Layout.fillWidth: true
            BusyIndicator { running: Backend.enrolWaiting; implicitHeight: 32; implicitWidth: 32 }
            Label {
                objectName: "enrolWaitingText"
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: qsTr("Code accepted. Waiting for your administrator to approve this computer…")
            }
        }
        RowLayout {
            Layout.fillWidth: true
            Item { Layout.fillWidth: true }
            Button {
                visible: Backend.enrolWaiting
                text: qsTr("Cancel")
                onClicked: Backend.cancelEnrol()
            }
            Button {
                objectName: "enrolButton"
                text: qsTr("Enrol")
                highlighted: true
                enabled: !Backend.enrolWaiting && !Backend.busy
                onClicked: Backend.enrol(code.text)
            }
        }
    }
}
