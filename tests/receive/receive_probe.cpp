// SPDX-License-Identifier: Apache-2.0
// podtap-receive-probe: the userspace receiver as a small program, so a test can run it as an unprivileged user
// in a network namespace.
//
//   podtap-receive-probe --port P --write FILE --route SENDER,VNI,NS/POD/IFACE,inbound|outbound [--route ...]
//                        [--name IP=NS/POD ...] [--until-datagrams N] [--portable]
//
// It prints {"event":"ready",...} once bound, writes pcapng to FILE, and on SIGTERM/SIGINT (or after N datagrams)
// closes the file and prints {"event":"stopped",...} with the counters.
#include "receive/pcapng_writer.h"
#include "receive/vxlan_receiver.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <memory>

#include <unistd.h>

using namespace podtap;
using namespace podtap::receive;

namespace {

volatile std::sig_atomic_t g_stop = 0;

void onSignal(int)
{
    g_stop = 1;
}

void print(const QJsonObject &object)
{
    std::fputs(QJsonDocument(object).toJson(QJsonDocument::Compact).constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

int usage(const QString &why)
{
    std::fprintf(stderr, "podtap-receive-probe: %s\n", qPrintable(why));
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    VxlanReceiver::Options options;
    QString path;
    QStringList routes;
    QList<PodAddress> names;
    quint64 untilDatagrams = 0;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        const QString value = args.value(i + 1);
        if (arg == QLatin1String("--portable")) {
            options.portable = true;
            continue;
        }
        ++i;
        if (arg == QLatin1String("--port")) {
            options.port = quint16(value.toUInt());
        } else if (arg == QLatin1String("--write")) {
            path = value;
        } else if (arg == QLatin1String("--route")) {
            routes.append(value);
        } else if (arg == QLatin1String("--name")) {
            const QStringList ipName = value.split(QLatin1Char('='));
            const QStringList nsPod = ipName.value(1).split(QLatin1Char('/'));
            names.append({ipName.value(0), nsPod.value(0), nsPod.value(1)});
        } else if (arg == QLatin1String("--until-datagrams")) {
            untilDatagrams = value.toULongLong();
        } else {
            return usage(QStringLiteral("unknown option %1").arg(arg));
        }
    }
    if (path.isEmpty() || routes.isEmpty()) {
        return usage(QStringLiteral("--write FILE and at least one --route are required"));
    }

    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return usage(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    }
    auto writer =
        std::make_shared<PcapngWriter>(&file, PcapngWriter::Options {.application = QStringLiteral("podtap")});
    writer->start();
    writer->addNames(names);
    VxlanReceiver receiver;
    QString error;
    if (!receiver.bind(options, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    QList<int> ids;
    QHash<QString, std::uint32_t> interfaces;
    for (const QString &route : std::as_const(routes)) {
        const QStringList parts = route.split(QLatin1Char(','));
        if (parts.size() != 4) {
            return usage(QStringLiteral("--route %1: expected SENDER,VNI,NS/POD/IFACE,DIRECTION").arg(route));
        }
        if (!interfaces.contains(parts.at(2))) {
            interfaces.insert(parts.at(2), writer->addInterface({parts.at(2), QStringLiteral("probe"), 65535}));
        }
        const PacketDirection direction = parts.at(3) == QLatin1String("inbound") ? PacketDirection::Inbound
            : parts.at(3) == QLatin1String("outbound")                            ? PacketDirection::Outbound
                                                                                  : PacketDirection::Unknown;
        const int id = receiver.addRoute(
            {QHostAddress(parts.at(0)), parts.at(1).toUInt(), writer, interfaces.value(parts.at(2)), direction},
            &error);
        if (id == 0) {
            return usage(error);
        }
        ids.append(id);
    }

    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);
    print({{QStringLiteral("event"), QStringLiteral("ready")}, {QStringLiteral("port"), receiver.localPort()},
        {QStringLiteral("batched"), receiver.isBatched()}, {QStringLiteral("uid"), int(::geteuid())},
        {QStringLiteral("receiveBuffer"), receiver.receiveBufferBytes()},
        {QStringLiteral("kernelTimestamps"), receiver.hasKernelTimestamps()}});

    // Signals only set a flag; the loop looks at it (and at the datagram count) a few times a second.
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &app, [&] {
        if (g_stop || (untilDatagrams > 0 && receiver.portCounters().datagrams >= untilDatagrams)) {
            app.quit();
        }
    });
    poll.start(50);
    app.exec();

    receiver.readPending();
    QJsonArray counters;
    for (const int id : std::as_const(ids)) {
        const RouteCounters route = receiver.routeCounters(id);
        counters.append(QJsonObject {{QStringLiteral("packets"), qint64(route.packets)},
            {QStringLiteral("bytes"), qint64(route.bytes)}, {QStringLiteral("drops"), qint64(route.drops)}});
    }
    for (const int id : std::as_const(ids)) {
        receiver.removeRoute(id);
    }
    receiver.close();
    writer->close();
    file.close();
    const PortCounters &port = receiver.portCounters();
    print({{QStringLiteral("event"), QStringLiteral("stopped")}, {QStringLiteral("routes"), counters},
        {QStringLiteral("datagrams"), qint64(port.datagrams)},
        {QStringLiteral("wrongSource"), qint64(port.wrongSource)}, {QStringLiteral("wrongVni"), qint64(port.wrongVni)},
        {QStringLiteral("malformed"), qint64(port.malformed)},
        {QStringLiteral("kernelDrops"), qint64(port.kernelDrops)}});
    return 0;
}
