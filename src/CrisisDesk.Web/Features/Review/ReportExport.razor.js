// Streams an export, reporting progress as lines arrive (each post and action is one line), then saves it.
export async function exportWithProgress(url, component) {
    try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) {
            await component.invokeMethodAsync("Progress", 0, 0, false, `The export failed: ${response.status} ${response.statusText}`);
            return;
        }
        const expected = Number(response.headers.get("X-Export-Rows") || "0");
        const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || "export";
        const reader = response.body.getReader();
        const chunks = [];
        let lines = 0;
        let lastReport = 0;
        for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            chunks.push(value);
            for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
            const now = performance.now();
            if (now - lastReport > 200) {
                lastReport = now;
                await component.invokeMethodAsync("Progress", lines, expected, false, null);
            }
        }
        const blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "application/octet-stream" });
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
        await component.invokeMethodAsync("Progress", lines, expected, true, null);
    } catch (e) {
        await component.invokeMethodAsync("Progress", 0, 0, false, `The export failed: ${e}`);
    }
}
