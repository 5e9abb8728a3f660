// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_table_model.h"
#include "main_window.h"
#include "models/session_table_model.h"
#include "pod_details_panel.h"
#include "session_handle.h"

#include <QComboBox>
#include <QLabel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTextDocument>
#include <QTreeWidget>

using podtap::cluster::PodInterface;
using podtap::cluster::PodRow;
using podtap::cluster::PodTableModel;

namespace {

// What a tenant or a shared kubeconfig can write into a name, label, annotation or message.
const QString kHtml = QStringLiteral("<img src=x><b>bold</b>");

/// What a person sees in @p label: its text, rendered as Qt renders it.
QString shown(const QLabel *label)
{
    const bool rich = label->textFormat() == Qt::RichText ||
        (label->textFormat() == Qt::AutoText && Qt::mightBeRichText(label->text()));
    if (!rich)
        return label->text();
    QTextDocument document;
    document.setHtml(label->text());
    return document.toPlainText();
}

/// What a person sees in a tooltip: Qt renders it as HTML when Qt::mightBeRichText says so.
QString shownToolTip(const QString &toolTip)
{
    if (!Qt::mightBeRichText(toolTip))
        return toolTip;
    QTextDocument document;
    document.setHtml(toolTip);
    return document.toPlainText();
}

} // namespace

/// @brief Text from the cluster, the kubeconfig and the agent is shown literally, never rendered as HTML.
class TestPlainTextWidgets final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void detailsPanelShowsPodTextLiterally()
    {
        PodTableModel model;
        PodRow row;
        row.uid = QStringLiteral("u1");
        row.namespaceName = QStringLiteral("shop");
        row.name = QStringLiteral("web-0");
        row.status = QStringLiteral("Running");
        row.phase = QStringLiteral("Running");
        row.nodeName = kHtml;
        row.podIp = QStringLiteral("192.0.2.7");
        row.labels = {{QStringLiteral("app"), kHtml}};
        PodInterface vhost;
        vhost.interfaceName = QStringLiteral("net1");
        vhost.network = kHtml;
        vhost.deviceType = kHtml;
        vhost.hasKernelNetdev = false;
        row.interfaces = {vhost};
        model.queueRow(podtap::kube::WatchEventType::Added, row);
        model.applyPending();

        podtap::gui::PodDetailsPanel panel;
        panel.setPod(model.index(0, 0));
        auto *node = panel.findChild<QLabel *>(QStringLiteral("podNode"));
        auto *labels = panel.findChild<QLabel *>(QStringLiteral("podLabels"));
        QVERIFY(node && labels);
        QCOMPARE(shown(node), kHtml);
        QCOMPARE(shown(labels), QStringLiteral("app=") + kHtml);
        auto *interfaces = panel.findChild<QTreeWidget *>(QStringLiteral("podInterfaces"));
        QVERIFY(interfaces);
        QTreeWidgetItem *net1 = interfaces->topLevelItem(1);
        QVERIFY(net1);
        QCOMPARE(net1->text(0), QStringLiteral("net1"));
        QVERIFY2(shownToolTip(net1->toolTip(1)).startsWith(kHtml), qPrintable(net1->toolTip(1)));
    }

    void contextNamesAndKubeconfigErrorsShowLiterally()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("kubeconfig"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        // current-context names a context that does not exist; the one that does has hostile names.
        const QStringList lines {QStringLiteral("apiVersion: v1"), QStringLiteral("kind: Config"),
            QStringLiteral("current-context: '%1 missing'"), QStringLiteral("clusters:"),
            QStringLiteral("- name: '%1'"), QStringLiteral("  cluster: {server: 'https://192.0.2.1:6443'}"),
            QStringLiteral("users:"), QStringLiteral("- name: '%1 user'"), QStringLiteral("  user: {token: t}"),
            QStringLiteral("contexts:"), QStringLiteral("- name: '%1 ctx'"),
            QStringLiteral("  context: {cluster: '%1', user: '%1 user'}")};
        file.write(lines.join(QLatin1Char('\n')).arg(kHtml).toUtf8() + '\n');
        file.close();
        podtap::gui::MainWindowOptions options;
        options.kubeconfig.explicitPath = path;
        options.kubeconfig.allowInCluster = false;
        options.context = kHtml + QStringLiteral(" missing");
        podtap::gui::MainWindow window(options);
        auto *banner = window.findChild<QLabel *>(QStringLiteral("contextError"));
        QVERIFY(banner);
        QVERIFY2(shown(banner).contains(QStringLiteral("Context %1 missing is not in the kubeconfig").arg(kHtml)),
            qPrintable(banner->text()));
        auto *combo = window.findChild<QComboBox *>(QStringLiteral("contextCombo"));
        QVERIFY(combo);
        QCOMPARE(combo->count(), 1);
        const QString toolTip = combo->itemData(0, Qt::ToolTipRole).toString();
        QVERIFY2(shownToolTip(toolTip).startsWith(QStringLiteral("%1 as %1 user").arg(kHtml)), qPrintable(toolTip));
    }

    void sessionMessagesShowLiterallyInToolTips()
    {
        podtap::gui::SessionTableModel model;
        auto *session = new podtap::gui::SessionHandle(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        model.addSession(session);
        session->reportProgress(QStringLiteral("agent says ") + kHtml);
        const QString progress =
            model.index(0, podtap::gui::SessionTableModel::StateColumn).data(Qt::ToolTipRole).toString();
        QCOMPARE(shownToolTip(progress), QStringLiteral("agent says ") + kHtml);
    }
};

QTEST_MAIN(TestPlainTextWidgets)
#include "tst_plain_text_widgets.moc"
