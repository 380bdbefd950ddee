// The browser's Notification API, used only when the person allowed it (asked from the inbox page, on a click).
export function permission() {
    return "Notification" in window ? Notification.permission : "unsupported";
}

export async function request() {
    if (!("Notification" in window))
        return "unsupported";
    return await Notification.requestPermission();
}

export function show(title, body, link, tag) {
    if (!("Notification" in window) || Notification.permission !== "granted")
        return false;
    // Text only: the Notification API renders no markup. A click opens the thing to act on.
    const notification = new Notification(title, { body, tag });
    notification.onclick = () => {
        window.focus();
        window.location.assign(link);
        notification.close();
    };
    return true;
}
