// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>

namespace podtap::sim {

/// @brief splitmix64: a tiny, fast generator that gives the same sequence everywhere, so seeded objects (names,
/// UIDs, MACs) are the same on every run and every machine.
class SimRandom final
{
public:
    explicit SimRandom(quint64 seed)
        : m_state(seed)
    {
    }
    quint64 next()
    {
        quint64 z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    int below(int n) { return int(next() % quint64(n)); }
    QByteArray hex(int chars)
    {
        static const char digits[] = "0123456789abcdef";
        QByteArray out(chars, Qt::Uninitialized);
        quint64 bits = 0;
        for (int i = 0; i < chars; ++i) {
            if (i % 16 == 0) {
                bits = next();
            }
            out[i] = digits[bits & 0xf];
            bits >>= 4;
        }
        return out;
    }
    /// The alphabet Kubernetes uses for generated name suffixes.
    QByteArray suffix(int chars)
    {
        static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
        QByteArray out(chars, Qt::Uninitialized);
        for (int i = 0; i < chars; ++i) {
            out[i] = alphabet[below(27)];
        }
        return out;
    }
    QByteArray uid()
    {
        const QByteArray h = hex(32);
        return h.mid(0, 8) + '-' + h.mid(8, 4) + "-4" + h.mid(13, 3) + "-a" + h.mid(17, 3) + '-' + h.mid(20, 12);
    }
    QByteArray mac()
    {
        const QByteArray h = hex(10);
        return "0a:58:" + h.mid(0, 2) + ':' + h.mid(2, 2) + ':' + h.mid(4, 2) + ':' + h.mid(6, 2);
    }

private:
    quint64 m_state;
};

} // namespace podtap::sim
