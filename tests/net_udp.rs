//! UDP: echo in both task styles, outside a task, timeouts and errors, and
//! a cloned socket.

use corun::net::UdpSocket;
use corun::Executor;
use std::io;
use std::time::Duration;

fn echo_once(server: &UdpSocket) {
    let mut buf = [0; 1500];
    let (n, peer) = server.recv_from(&mut buf).unwrap();
    server.send_to(&buf[..n], peer).unwrap();
}

#[test]
fn echo_between_stackful_tasks() {
    let ex = Executor::new();
    let replies = ex.block_on(|| {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let s = corun::spawn(move || (0..10).for_each(|_| echo_once(&server)));
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(addr).unwrap();
        let mut replies = Vec::new();
        for i in 0..10u8 {
            client.send(&[i; 3]).unwrap();
            let mut buf = [0; 16];
            let n = client.recv(&mut buf).unwrap();
            replies.push(buf[..n].to_vec());
        }
        s.join().unwrap();
        replies
    });
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(r, &[i as u8; 3]);
    }
}

#[test]
fn echo_between_future_tasks() {
    let ex = Executor::new();
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let s = ex.spawn_future(async move {
        let mut buf = [0; 64];
        let (n, peer) = server.recv_from_async(&mut buf).await.unwrap();
        server.send_to_async(&buf[..n], peer).await.unwrap();
    });
    let c = ex.spawn_future(async move {
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.send_to_async(b"datagram", addr).await.unwrap();
        let mut buf = [0; 64];
        let (n, from) = client.recv_from_async(&mut buf).await.unwrap();
        assert_eq!(from, addr);
        buf[..n].to_vec()
    });
    let reply = ex.block_on(|| {
        s.join().unwrap();
        c.join().unwrap()
    });
    assert_eq!(reply, b"datagram");
}

#[test]
fn outside_a_task_recv_blocks_the_thread() {
    let ex = Executor::new();
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.send_to(b"from a thread", addr).unwrap();
        let mut buf = [0; 64];
        let first = client.recv(&mut buf).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let (n, _) = client.recv_from(&mut buf).unwrap();
        (first, buf[..n].to_vec())
    });
    ex.block_on(|| {
        let mut buf = [0; 64];
        let (n, peer) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"from a thread");
        server.send_to(b"one", peer).unwrap();
        server.send_to(b"two", peer).unwrap();
    });
    let (first, second) = t.join().unwrap();
    assert_eq!(first, 3);
    assert_eq!(second, b"two");
}

#[test]
fn a_recv_past_its_timeout_fails_with_would_block() {
    let ex = Executor::new();
    ex.block_on(|| {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
        let err = s.recv_from(&mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    });
}

#[test]
fn a_connected_socket_sees_the_refusal_of_a_closed_port() {
    let closed = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let ex = Executor::new();
    ex.block_on(|| {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.connect(closed).unwrap();
        s.send(b"anyone?").unwrap();
        // The ICMP port-unreachable comes back as an error on the socket.
        let err = s.recv(&mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn address_in_use_and_std_conversions() {
    let ex = Executor::new();
    ex.block_on(|| {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = UdpSocket::bind(a.local_addr().unwrap()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        let std_socket = a.into_std().unwrap();
        let a = UdpSocket::from_std(std_socket).unwrap();
        assert!(format!("{a:?}").starts_with("UdpSocket"));
    });
}

#[test]
fn a_clone_is_the_same_socket_registered_on_its_own() {
    // The timeouts, copied to the clone, keep a broken wait from hanging.
    const WATCHDOG: Option<Duration> = Some(Duration::from_secs(30));
    let ex = Executor::new();
    ex.block_on(|| {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(WATCHDOG).unwrap();
        let clone = socket.try_clone().unwrap();
        assert_eq!(clone.read_timeout().unwrap(), WATCHDOG);
        assert_eq!(clone.local_addr().unwrap(), socket.local_addr().unwrap());
        let addr = socket.local_addr().unwrap();
        // The original waits in one task (its registration) while another
        // sends through the clone, to the socket itself.
        let receiver = corun::spawn(move || {
            let mut buf = [0; 16];
            let (n, from) = socket.recv_from(&mut buf).unwrap();
            (buf[..n].to_vec(), from)
        });
        corun::yield_now();
        clone.send_to(b"one", addr).unwrap();
        let (got, from) = receiver.join().unwrap();
        assert_eq!((got.as_slice(), from), (&b"one"[..], addr));
        // The original is gone, deregistered: the clone still waits and
        // receives on its own registration.
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let sender = corun::spawn(move || {
            corun::sleep(Duration::from_millis(2));
            peer.send_to(b"two", addr).unwrap();
        });
        let mut buf = [0; 16];
        let (n, _) = clone.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");
        sender.join().unwrap();
    });
}

#[test]
fn several_future_tasks_wait_on_one_socket_and_each_is_woken() {
    // Each `*_async` call waits on its own: a second receiver does not
    // push the first out (before, only the latest poll's waker was kept,
    // and the first receiver was never woken), and a receiver given up
    // on (a timeout drops its future) leaves no entry behind.
    let ex = Executor::new();
    let mut got = ex.block_on(|| {
        let socket = std::rc::Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let addr = socket.local_addr().unwrap();
        let given_up = {
            let socket = socket.clone();
            corun::spawn(move || {
                corun::timeout(Duration::from_millis(1), || {
                    corun::await_(async { socket.recv_async(&mut [0; 16]).await })
                })
                .is_err()
            })
        };
        assert!(given_up.join().unwrap(), "nothing was sent yet");
        let receivers: Vec<_> = (0..3)
            .map(|_| {
                let socket = socket.clone();
                corun::spawn_future(async move {
                    let mut buf = [0; 16];
                    let (n, _) = socket.recv_from_async(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                })
            })
            .collect();
        corun::yield_now(); // every receiver is waiting now
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..3u8 {
            sender.send_to(&[i; 4], addr).unwrap();
        }
        receivers
            .into_iter()
            .map(|r| r.join().unwrap())
            .collect::<Vec<_>>()
    });
    got.sort();
    assert_eq!(got, [[0u8; 4], [1; 4], [2; 4]]);
}

#[test]
fn connected_udp_sends_and_receives_in_a_future_task() {
    let ex = Executor::new();
    let got = ex.block_on(|| {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.connect(b.local_addr().unwrap()).unwrap();
        b.connect(a.local_addr().unwrap()).unwrap();
        let f = corun::spawn_future(async move {
            a.send_async(b"over").await.unwrap();
            let mut buf = [0; 8];
            let n = a.recv_async(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        let mut buf = [0; 8];
        let n = b.recv(&mut buf).unwrap();
        b.send(&buf[..n]).unwrap();
        f.join().unwrap()
    });
    assert_eq!(got, b"over");
}
