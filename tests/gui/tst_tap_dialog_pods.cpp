// SPDX-License-Identifier: Apache-2.0
#include "console_settings.h"
#include "named_child.h"
#include "tap_dialog.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

using podtap::gui::ConsoleSettings;
using podtap::gui::TapDialog;
using podtap::gui::TapTool;

/// @brief The tap dialog for several pods: lists them, offers only the destination one capture of many pods
/// takes (and says why), and builds one request for all of them.
class TestTapDialogPods final : public QObject
{
    Q_OBJECT

private:
    template<typename T>
    static T *field(TapDialog &dialog, const char *name)
    {
        return ::podtap::test::namedChild<T>(dialog, name);
    }
    static QPushButton *start(TapDialog &dialog) { return field<QPushButton>(dialog, "startButton"); }
    static QStringList threePods()
    {
        return {QStringLiteral("shop/cart-a"), QStringLiteral("shop/cart-b"), QStringLiteral("web/cart-c")};
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init() { QSettings().clear(); }

    void listsThePodsAndBuildsOneRequest()
    {
        TapDialog dialog(threePods());
        QVERIFY(dialog.isForSeveralPods());
        QCOMPARE(dialog.windowTitle(), QStringLiteral("Tap 3 pods"));
        QCOMPARE(
            field<QLabel>(dialog, "podsLabel")->text(), QStringLiteral("3 pods: shop/cart-a, shop/cart-b, web/cart-c"));
        QVERIFY2(start(dialog)->isEnabled(), qPrintable(dialog.problems().join(QLatin1Char('\n'))));
        field<QComboBox>(dialog, "direction")
            ->setCurrentIndex(field<QComboBox>(dialog, "direction")->findData(QStringLiteral("ingress")));
        field<QLineEdit>(dialog, "captureFilter")->setText(QStringLiteral("udp port 9999"));
        field<QLineEdit>(dialog, "port")->setText(QStringLiteral("4790"));
        field<QLineEdit>(dialog, "maxDuration")->setText(QStringLiteral("15m"));
        QVERIFY2(start(dialog)->isEnabled(), qPrintable(dialog.problems().join(QLatin1Char('\n'))));

        const podtap::WorkloadTapRequest request = dialog.workloadRequest();
        QCOMPARE(request.pods, threePods());
        QCOMPARE(request.destination.kind, podtap::Destination::Kind::ThisMachine);
        QCOMPARE(request.interfaceName, QStringLiteral("eth0"));
        QCOMPARE(request.direction, podtap::Direction::Ingress);
        QCOMPARE(request.captureFilter, QStringLiteral("udp port 9999"));
        QCOMPARE(request.port, 4790);
        QCOMPARE(request.maxDuration, std::chrono::seconds(15 * 60));
        QCOMPARE(request.maxPods, 64);
        QVERIFY(request.validate().isEmpty());
    }

    void podsNotRunningAreNamed()
    {
        TapDialog dialog(threePods());
        auto *note = field<QLabel>(dialog, "podsNotRunning");
        QVERIFY(!note->isVisibleTo(&dialog));
        dialog.setPodsNotRunning({QStringLiteral("web/cart-c (Pending)")});
        QVERIFY(note->isVisibleTo(&dialog));
        QCOMPARE(note->text(), QStringLiteral("Not running now, tapped once they run: web/cart-c (Pending)."));
        // A note, not a problem: the tap may start.
        QVERIFY(start(dialog)->isEnabled());
        dialog.setPodsNotRunning({});
        QVERIFY(!note->isVisibleTo(&dialog));
    }

    void manyPodsAreCutWithTheFullListInTheTooltip()
    {
        QStringList pods;
        for (int i = 0; i < 9; ++i)
            pods << QStringLiteral("shop/cart-%1").arg(i);
        TapDialog dialog(pods);
        auto *label = field<QLabel>(dialog, "podsLabel");
        QVERIFY2(label->text().startsWith(QStringLiteral("9 pods: shop/cart-0, ")), qPrintable(label->text()));
        QVERIFY2(label->text().endsWith(QStringLiteral("shop/cart-5 and 3 more")), qPrintable(label->text()));
        QVERIFY(label->toolTip().contains(QStringLiteral("shop/cart-8")));
    }

    // A node, an IP, the kernel interface or the API server carry one pod per tap: offered disabled, with why.
    void onlyThisMachineIsOfferedAndTheOthersSayWhy()
    {
        ConsoleSettings::setDialogValue(QStringLiteral("destinationKind"), QStringLiteral("node"));
        ConsoleSettings::setDialogValue(QStringLiteral("node"), QStringLiteral("node-002"));
        TapDialog dialog(threePods());
        QVERIFY(field<QRadioButton>(dialog, "toThisMachine")->isChecked());
        QVERIFY(field<QRadioButton>(dialog, "toThisMachine")->isEnabled());
        for (const char *name : {"toNode", "toIp", "toLocalInterface", "toApiServer"}) {
            auto *button = field<QRadioButton>(dialog, name);
            QVERIFY2(!button->isEnabled(), name);
            QVERIFY2(button->toolTip().contains(QStringLiteral("several pods goes to this machine only")),
                qPrintable(button->toolTip()));
        }
        QVERIFY(!field<QLineEdit>(dialog, "vni")->isEnabled());
        const QString note = field<QLabel>(dialog, "destinationNote")->text();
        QVERIFY2(note.contains(QStringLiteral("one capture with an interface per pod")), qPrintable(note));
        QCOMPARE(dialog.workloadRequest().destination.kind, podtap::Destination::Kind::ThisMachine);

        // Accepting does not overwrite the one-pod dialog's destination.
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        TapDialog one(QStringLiteral("shop"), QStringLiteral("cart-a"));
        QVERIFY(!one.isForSeveralPods());
        QVERIFY(field<QRadioButton>(one, "toNode")->isChecked());
        QCOMPARE(one.request().destination.value, QStringLiteral("node-002"));
    }

    void maxPodsBelowTheSelectionStopsStartAndIsRemembered()
    {
        TapDialog dialog(threePods());
        auto *maxPods = field<QSpinBox>(dialog, "maxPods");
        QCOMPARE(maxPods->value(), 64);
        QCOMPARE(maxPods->maximum(), podtap::WorkloadTapRequest::kMaxMaxPods);
        maxPods->setValue(2);
        QVERIFY(!start(dialog)->isEnabled());
        const QString problems = dialog.problems().join(QLatin1Char('\n'));
        QVERIFY2(
            problems.contains(QStringLiteral("3 pods are selected, more than Max pods (2)")), qPrintable(problems));
        maxPods->setValue(3);
        QVERIFY2(start(dialog)->isEnabled(), qPrintable(dialog.problems().join(QLatin1Char('\n'))));
        QCOMPARE(dialog.workloadRequest().maxPods, 3);
        dialog.accept();
        TapDialog again(threePods());
        QCOMPARE(field<QSpinBox>(again, "maxPods")->value(), 3);
    }

    void sharedFieldsAreValidatedAsForOnePod()
    {
        TapDialog dialog(threePods());
        field<QLineEdit>(dialog, "port")->setText(QStringLiteral("70000"));
        field<QLineEdit>(dialog, "captureFilter")->setText(QStringLiteral("tcp port"));
        QCOMPARE(dialog.problems().size(), 2);
        QVERIFY(!start(dialog)->isEnabled());
        field<QLineEdit>(dialog, "port")->setText(QStringLiteral("4789"));
        field<QLineEdit>(dialog, "captureFilter")->clear();
        QVERIFY(start(dialog)->isEnabled());

        // No interface all of them have: said, and Start stays off.
        dialog.setInterfaces({{QStringLiteral("eth0"), {}, false, QStringLiteral("web/cart-c has no eth0")}});
        QVERIFY(!start(dialog)->isEnabled());
        QVERIFY2(dialog.problems().join(QLatin1Char('\n')).contains(QStringLiteral("no interface that all of them")),
            qPrintable(dialog.problems().join(QLatin1Char('\n'))));
    }

    void aPodNamedTwiceIsRefusedByTheRequestRules()
    {
        TapDialog dialog(QStringList {QStringLiteral("shop/cart-a"), QStringLiteral("shop/cart-a")});
        QVERIFY(!start(dialog)->isEnabled());
        QVERIFY2(dialog.problems().join(QLatin1Char('\n')).contains(QStringLiteral("named twice")),
            qPrintable(dialog.problems().join(QLatin1Char('\n'))));
    }

    // Alt+F and Alt+T reach their fields (rows that hold a layout get no buddy by themselves), in both dialogs.
    void mnemonicsOfEveryRowReachTheirField()
    {
        TapDialog several(threePods());
        TapDialog one(QStringLiteral("shop"), QStringLiteral("cart-a"));
        for (TapDialog *dialog : {&several, &one}) {
            const QList<QLabel *> labels = dialog->findChildren<QLabel *>();
            const auto buddyOf = [&labels](const QString &text) -> QWidget * {
                for (QLabel *label : labels) {
                    if (label->text() == text)
                        return label->buddy();
                }
                return nullptr;
            };
            QCOMPARE(buddyOf(QStringLiteral("Capture &filter:")), field<QLineEdit>(*dialog, "captureFilter"));
            QCOMPARE(buddyOf(QStringLiteral("&Then:")), field<QComboBox>(*dialog, "tool"));
        }
    }

    void toolsAreTheOnesOfOnePod()
    {
        TapDialog dialog(threePods());
        auto *tool = field<QComboBox>(dialog, "tool");
        tool->setCurrentIndex(tool->findData(QStringLiteral("file")));
        QVERIFY(!start(dialog)->isEnabled());
        field<QLineEdit>(dialog, "saveFile")->setText(QStringLiteral("cart.pcapng"));
        QVERIFY(start(dialog)->isEnabled());
        QCOMPARE(dialog.tool(), TapTool::SaveToFile);
        QCOMPARE(dialog.saveFile(), QStringLiteral("cart.pcapng"));
    }
};

QTEST_MAIN(TestTapDialogPods)
#include "tst_tap_dialog_pods.moc"
