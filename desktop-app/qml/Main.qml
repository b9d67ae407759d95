// The window: a header with who is signed in and the relay connection (always visible), then the
// page for the app's stage: setup, unlock, enrol, or the main screen.
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
        background: Rectangle { color: Theme.brand }
        RowLayout {
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
            Label {
                objectName: "selfLabel"
                visible: Backend.stage === "main"
                text: Backend.selfName + " · " + Backend.selfAgency
                color: "white"
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Item { Layout.fillWidth: Backend.stage !== "main" }
            LevelBadge {
                visible: Backend.stage === "main"
                level: Backend.selfLevel
                prefix: qsTr("Your clearance:") + " "
            }
            ConnectionIndicator { objectName: "connectionIndicator" }
        }
    }

    StackLayout {
        id: stages
        anchors.fill: parent
        currentIndex: ["setup", "unlock", "enrol", "main"].indexOf(Backend.stage)
        SetupPage { }
        UnlockPage { }
        EnrolPage { }
        MainPage { id: mainPage }
    }

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
