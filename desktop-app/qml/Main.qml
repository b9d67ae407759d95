// The window: a header with who is signed in (a menu with My devices), their clearance and the relay
// connection (always visible), notices about the person's own certificate, then the page for the
// app's stage: setup, unlock, enrol, or the main screen.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import GChat

ApplicationWindow {
    id: window
    objectName: "mainWindow"
    width: 1120
    height: 740
    minimumWidth: 720
    minimumHeight: 480
    visible: true
    title: qsTr("G-Chat")
    font.family: "Noto Sans"
    font.pointSize: Theme.fontSize
    color: Theme.background

    header: ToolBar {
        objectName: "appHeader"
        // Tall enough for Thai marks above and below the line in every part of the row.
        implicitHeight: headerRow.implicitHeight + 10
        background: Rectangle { color: Theme.brand }
        RowLayout {
            id: headerRow
            anchors.fill: parent
            anchors.leftMargin: 12
            anchors.rightMargin: 12
            spacing: 12
            Label {
                text: qsTr("G-Chat")
                color: "white"
                font.bold: true
                font.pointSize: Theme.fontSize * 1.25
            }
            // The profile area: who is signed in; a click opens the person's menu.
            ToolButton {
                id: profile
                objectName: "profileButton"
                visible: Backend.stage === "main"
                // Whole pixels: a fractional implicit width would elide the name by a hair.
                Layout.maximumWidth: Math.ceil(implicitWidth)
                Layout.preferredWidth: Math.ceil(implicitWidth)
                Layout.fillWidth: true
                Accessible.name: qsTr("My account: %1").arg(selfLabel.text)
                contentItem: Label {
                    id: selfLabel
                    objectName: "selfLabel"
                    text: Backend.selfName + " · " + Backend.selfAgency + "  ▾"
                    color: "white"
                    elide: Text.ElideRight
                }
                background: Rectangle {
                    radius: 4
                    color: profile.down || profileMenu.visible ? Qt.darker(Theme.brand, 1.3)
                         : profile.hovered || profile.visualFocus ? Qt.lighter(Theme.brand, 1.3) : "transparent"
                }
                onClicked: profileMenu.popup(profile, 0, profile.height)
                Menu {
                    id: profileMenu
                    objectName: "profileMenu"
                    MenuItem {
                        objectName: "myDevicesItem"
                        text: qsTr("My devices…")
                        onTriggered: devicesDialog.openFresh()
                    }
                    MenuItem {
                        text: qsTr("Settings")
                        onTriggered: mainPage.showSection(4)
                    }
                }
            }
            Item { Layout.fillWidth: true }
            LevelBadge {
                objectName: "selfLevelBadge"
                visible: Backend.stage === "main"
                level: Backend.selfLevel
                prefix: qsTr("Your clearance:") + " "
            }
            ConnectionIndicator { objectName: "connectionIndicator" }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        // The person's clearance changed: stays until they acknowledge it.
        NoticeBanner {
            objectName: "clearanceNotice"
            Layout.fillWidth: true
            visible: Backend.stage === "main" && text !== ""
            glyph: "🛡"
            level: Backend.clearanceNoticeLevel
            text: Backend.clearanceNotice
            detail: Backend.clearanceNoticeDetail
            dismissText: qsTr("OK")
            onDismissed: Backend.dismissClearanceNotice()
        }
        // This device's certificate ends soon (it should have renewed by itself): always shown.
        NoticeBanner {
            objectName: "expiryWarning"
            Layout.fillWidth: true
            visible: Backend.stage === "main" && text !== ""
            glyph: "⚠"
            tone: Backend.certificateExpired ? "danger" : "warning"
            text: Backend.expiryWarning
            detail: Backend.expiryAdvice
        }
        StackLayout {
            id: stages
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: ["setup", "unlock", "enrol", "main"].indexOf(Backend.stage)
            SetupPage { }
            UnlockPage { }
            EnrolPage { }
            MainPage { id: mainPage; onOpenDevices: devicesDialog.openFresh() }
        }
    }
    DevicesDialog { id: devicesDialog }

    // Errors: a sentence in the user's language, dismissed by a click or Escape.
    Rectangle {
        id: errorBar
        objectName: "errorBar"
        visible: Backend.error !== ""
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        height: errorText.implicitHeight + 20
        color: "#fdecea"
        border.color: "#e0a9a3"
        Label {
            id: errorText
            objectName: "errorText"
            anchors.verticalCenter: parent.verticalCenter
            anchors.left: parent.left
            anchors.right: dismiss.left
            anchors.margins: 12
            text: Backend.error
            color: "#8a1c12"
            wrapMode: Text.Wrap
        }
        Button {
            id: dismiss
            anchors.right: parent.right
            anchors.verticalCenter: parent.verticalCenter
            anchors.rightMargin: 8
            text: qsTr("Close")
            onClicked: Backend.clearError()
        }
    }

    Toast { id: toast }
    Connections {
        target: Backend
        function onDone(what) { toast.show(what) }
        function onNotified() { toast.show(Backend.notification) }
    }
    Shortcut {
        sequence: "Escape"
        enabled: Backend.error !== ""
        onActivated: Backend.clearError()
    }
}
