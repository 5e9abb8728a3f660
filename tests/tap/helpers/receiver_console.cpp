// SPDX-License-Identifier: Apache-2.0
// The console's side of a local receiver, as its own process so a test can run it unprivileged:
// starts LocalReceiver through a pkexec stand-in, reports "ready <pid>", stops it, and reports
// "finished" once the receiver has exited. Exits 1 when either step does not happen in time.
#include "tap/local_receiver.h"

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 7) {
        std::fprintf(stderr, "usage: receiver-console AGENT PKEXEC VNI NAME REMOTE LOCAL\n");
        return 2;
    }
    podtap::LocalReceiverOptions options;
    options.agentExecutable = args[1];
    options.pkexecProgram = args[2];
    options.forcePkexec = true;
    options.vni = args[3].toUInt();
    options.interfaceName = args[4];
    options.remoteIp = args[5];
    options.localIp = args[6];
    options.readyTimeoutMs = 20000;
    podtap::LocalReceiver receiver(options);
    QObject::connect(&receiver, &podtap::LocalReceiver::failed, [](const QString &message) {
        std::fprintf(stdout, "failed %s\n", qPrintable(message));
        std::fflush(stdout);
    });
    QObject::connect(&receiver, &podtap::LocalReceiver::ready, [&] {
        std::fprintf(stdout, "ready\n");
        std::fflush(stdout);
        receiver.stop(2000);
    });
    QObject::connect(&receiver, &podtap::LocalReceiver::finished, [&] {
        std::fprintf(stdout, "finished\n");
        std::fflush(stdout);
        app.exit(0);
    });
    QTimer::singleShot(30000, &app, [&] {
        std::fprintf(stdout, "timeout: the receiver did not exit after stop()\n");
        std::fflush(stdout);
        app.exit(1);
    });
    receiver.start();
    return app.exec();
}
