// SPDX-License-Identifier: Apache-2.0
#include "support/privileged.h"
#include "support/process.h"

#include <QTest>

#include <unistd.h>

using namespace podtap::test;

/// @brief The machine can build the kind of rig the data-path tests need: two netns joined by a veth.
class TestNetnsRigSmoke final : public QObject
{
    Q_OBJECT

    QString m_a;
    QString m_b;

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        m_a = QStringLiteral("ptsmoke-a-%1").arg(::getpid());
        m_b = QStringLiteral("ptsmoke-b-%1").arg(::getpid());
    }

    void vethCarriesPingBetweenNamespaces()
    {
        mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("add"), m_a});
        mustRun({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("add"), m_b});
        mustRun(QStringLiteral("ip -n %1 link add va type veth peer name vb netns %2").arg(m_a, m_b).split(' '));
        mustRun(QStringLiteral("ip -n %1 addr add 192.0.2.1/24 dev va").arg(m_a).split(' '));
        mustRun(QStringLiteral("ip -n %1 addr add 192.0.2.2/24 dev vb").arg(m_b).split(' '));
        mustRun(QStringLiteral("ip -n %1 link set va up").arg(m_a).split(' '));
        mustRun(QStringLiteral("ip -n %1 link set vb up").arg(m_b).split(' '));
        const QStringList ping = QStringLiteral("ip netns exec %1 ping -c 1 -W 2 192.0.2.2").arg(m_a).split(' ');
        const ProcessResult result = run(ping);
        QVERIFY2(result.ok(), qPrintable(result.describe(ping)));
        QVERIFY(result.out.contains("1 received"));
    }

    void clsactAndMirredAreAvailable()
    {
        mustRun(QStringLiteral("tc -n %1 qdisc add dev va clsact").arg(m_a).split(' '));
        mustRun(QStringLiteral("tc -n %1 filter add dev va egress prio 10 u32 match u32 0 0 action mirred egress "
                               "mirror dev lo")
                    .arg(m_a)
                    .split(' '));
        const QByteArray filters = mustRun(QStringLiteral("tc -n %1 filter show dev va egress").arg(m_a).split(' '));
        QVERIFY2(filters.contains("mirred"), filters.constData());
    }

    void cleanupTestCase()
    {
        for (const QString &ns : {m_a, m_b}) {
            if (!ns.isEmpty()) {
                run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), ns});
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestNetnsRigSmoke)
#include "tst_netns_rig_smoke.moc"
