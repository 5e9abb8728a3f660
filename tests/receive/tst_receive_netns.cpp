// SPDX-License-Identifier: Apache-2.0
#include "receive_rig.h"
#include "receive_test_support.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace podtap::test;
using namespace podtap::test::receive;

/// @brief Real kernel VXLAN senders in a "node" network namespace deliver to the userspace receiver running as
/// nobody in a "workstation" namespace: no interface is created there, tshark reads the pod names, both directions
/// and the marker flow from the file it wrote, and a wrong VNI and a wrong sender address are counted, not written.
///
/// Underlay 198.51.100.0/24 on a veth pair. In the node: vx100 (VNI 100, the pod's egress) and vx101 (VNI 101, its
/// ingress) from 198.51.100.1, vx102 (VNI 102, nobody's) from the same address, and vx103 from a second address,
/// 198.51.100.3, that no route names (VNI 103: the kernel allows a VNI once per port; a stranger is refused for its
/// address whatever its VNI).
class TestReceiveNetns final : public QObject
{
    Q_OBJECT

private:
    QString m_node;
    QString m_workstation;
    QTemporaryDir m_dir;
    static constexpr int kPort = 47890;

    QStringList workstationLinks() const
    {
        QStringList names;
        const QByteArray out = mustRun(ipIn(m_workstation, QStringLiteral("-o link show")));
        for (const QByteArray &line : out.split('\n')) {
            const QList<QByteArray> fields = line.split(':');
            if (fields.size() > 1) {
                names.append(QString::fromUtf8(fields.at(1).trimmed()).section(QLatin1Char('@'), 0, 0));
            }
        }
        return names;
    }

    void sendFromNode(const QString &destination, const QString &marker)
    {
        mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), m_node, QStringLiteral("bash"),
            QStringLiteral("-c"), QStringLiteral("printf %1 > /dev/udp/%2/5000").arg(marker, destination)});
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        if (!haveTshark()) {
            QSKIP("tshark is not installed (scripts/install-deps.sh test installs it)");
        }
        QVERIFY(m_dir.isValid());
        // nobody writes the capture here.
        QVERIFY(::chmod(QFile::encodeName(m_dir.path()).constData(), 0777) == 0);
        m_node = QStringLiteral("ptrn%1").arg(getpid());
        m_workstation = QStringLiteral("ptrw%1").arg(getpid());
        const QList<SenderDevice> devices = {{"vx100", 100, "198.51.100.1", "203.0.113.1/26", "203.0.113.2"},
            {"vx101", 101, "198.51.100.1", "203.0.113.65/26", "203.0.113.66"},
            {"vx102", 102, "198.51.100.1", "203.0.113.129/26", "203.0.113.130"},
            {"vx103", 103, "198.51.100.3", "203.0.113.193/26", "203.0.113.194"}};
        makeSenderNamespaces(m_node, m_workstation, devices, kPort);
    }

    void cleanupTestCase()
    {
        for (const QString &ns : {m_node, m_workstation}) {
            if (!ns.isEmpty()) {
                run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), ns});
            }
        }
    }

    void unprivilegedReceiverCapturesTheMarkerFlow()
    {
        const QStringList linksBefore = workstationLinks();
        const QString pcap = m_dir.filePath(QStringLiteral("tunnel.pcapng"));
        ProbeProcess probe;
        QString error;
        QVERIFY2(probe.start(m_workstation, kPort, pcap,
                     probeRoutes(QStringLiteral("198.51.100.1"), {.ingressVni = 101, .egressVni = 100, .port = kPort},
                         QStringLiteral("shop/cart-0/eth0")) +
                         QStringList {QStringLiteral("--name"), QStringLiteral("203.0.113.2=shop/cart-0"),
                             QStringLiteral("--name"), QStringLiteral("203.0.113.66=shop/web-1"),
                             QStringLiteral("--until-datagrams"), QStringLiteral("4")},
                     &error),
            qPrintable(error));
        const QJsonObject ready = probe.ready();
        QCOMPARE(ready.value(QStringLiteral("uid")).toInt(), 65534);
        QCOMPARE(ready.value(QStringLiteral("batched")).toBool(), true);

        // Strangers first: the socket reads in order, so they are counted before the probe has its 4 datagrams.
        sendFromNode(QStringLiteral("203.0.113.130"), QStringLiteral("podtap-marker-wrong-vni"));
        sendFromNode(QStringLiteral("203.0.113.194"), QStringLiteral("podtap-marker-wrong-source"));
        sendFromNode(QStringLiteral("203.0.113.2"), QStringLiteral("podtap-marker-egress"));
        sendFromNode(QStringLiteral("203.0.113.66"), QStringLiteral("podtap-marker-ingress"));

        const QJsonObject stopped = probe.waitStopped(&error);
        QVERIFY2(!stopped.isEmpty(), qPrintable(error));
        QCOMPARE(stopped.value(QStringLiteral("wrongVni")).toInt(), 1);
        QCOMPARE(stopped.value(QStringLiteral("wrongSource")).toInt(), 1);
        QCOMPARE(stopped.value(QStringLiteral("malformed")).toInt(), 0);
        QCOMPARE(stopped.value(QStringLiteral("routes")).toArray().at(0).toObject().value(QStringLiteral("packets")),
            QJsonValue(1));
        QCOMPARE(stopped.value(QStringLiteral("routes")).toArray().at(1).toObject().value(QStringLiteral("packets")),
            QJsonValue(1));

        // No interface appeared on the receiving side, and the file is nobody's.
        QCOMPARE(workstationLinks(), linksBefore);
        QCOMPARE(QFileInfo(pcap).ownerId(), 65534u);

        const QByteArray written = readFile(pcap);
        QVERIFY(!written.contains("podtap-marker-wrong-vni"));
        QVERIFY(!written.contains("podtap-marker-wrong-source"));
        const QList<QStringList> rows = tsharkFields(pcap,
            {QStringLiteral("frame.interface_name"), QStringLiteral("frame.packet_flags_direction"),
                QStringLiteral("ip.dst_host"), QStringLiteral("data.text")},
            {QStringLiteral("-N"), QStringLiteral("n"), QStringLiteral("-o"), QStringLiteral("data.show_as_text:TRUE"),
                QStringLiteral("-Y"), QStringLiteral("udp.port == 5000")});
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(0),
            (QStringList {QStringLiteral("shop/cart-0/eth0"), rows.at(0).at(1), QStringLiteral("shop/cart-0"),
                QStringLiteral("podtap-marker-egress")}));
        QCOMPARE(rows.at(0).at(1).toUInt(nullptr, 0), 2u);
        QCOMPARE(rows.at(1).at(2), QStringLiteral("shop/web-1"));
        QCOMPARE(rows.at(1).at(3), QStringLiteral("podtap-marker-ingress"));
        QCOMPARE(rows.at(1).at(1).toUInt(nullptr, 0), 1u);
    }
};

QTEST_GUILESS_MAIN(TestReceiveNetns)
#include "tst_receive_netns.moc"
