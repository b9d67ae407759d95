// Unlock the encrypted store on this computer, or choose its passphrase the first time.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

Page {
    objectName: "unlockPage"
    background: Rectangle { color: Theme.background }
    function submit() {
        if (!Backend.storeExists && pass.text !== confirm.text) {
            mismatch.visible = true
            return
        }
        mismatch.visible = false
        Backend.unlock(pass.text)
        pass.text = ""
        confirm.text = ""
    }
    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 40, 440)
        spacing: 10
        Label {
            text: Backend.storeExists ? qsTr("Unlock G-Chat") : qsTr("Protect this computer's messages")
            font.pointSize: Theme.fontSize * 1.6
            font.bold: true
        }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.muted
            text: Backend.storeExists
                  ? qsTr("Your messages on this computer are encrypted. Type your passphrase to open them.")
                  : qsTr("Choose a passphrase of at least 8 characters. It encrypts your messages on this computer; nobody can recover it for you.")
        }
        TextField {
            id: pass
            objectName: "passphraseField"
            Layout.fillWidth: true
            echoMode: TextInput.Password
            placeholderText: qsTr("Passphrase")
            focus: true
            onAccepted: Backend.storeExists ? submit() : confirm.forceActiveFocus()
        }
        TextField {
            id: confirm
            objectName: "confirmField"
            visible: !Backend.storeExists
            Layout.fillWidth: true
            echoMode: TextInput.Password
            placeholderText: qsTr("The same passphrase again")
            onAccepted: submit()
        }
        Label {
            id: mismatch
            visible: false
            color: Theme.danger
            text: qsTr("The two passphrases differ.")
        }
        RowLayout {
            Layout.fillWidth: true
            BusyIndicator { running: Backend.busy; visible: Backend.busy; implicitHeight: 32; implicitWidth: 32 }
            Item { Layout.fillWidth: true }
            Button {
                objectName: "unlockButton"
                text: Backend.storeExists ? qsTr("Unlock") : qsTr("Create")
                highlighted: true
                enabled: !Backend.busy
                onClicked: submit()
            }
        }
    }
}
