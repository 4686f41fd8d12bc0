// Makes the Subtract Background fixtures: test images (inputs/) and ImageJ's results (outputs/).
// Run by scripts/imagej-fixtures.sh under Xvfb; argument: the fixture folder.
dir = getArgument();
if (dir == "") exit("usage: the fixture folder as argument");
File.makeDirectory(dir + "/inputs");
File.makeDirectory(dir + "/outputs");
setBatchMode(true);
random("seed", 20261127);

// A blot-like test image: uneven background (gradient and a blob), bands in lanes, noise.
// depth 8 or 16; light = 1 gives dark bands on a light background.
function makeImage(name, w, h, depth, light) {
    if (depth == 8) { top = 255; base = 40; band = 150; noise = 3; }
    else { top = 65535; base = 1200; band = 20000; noise = 60; }
    newImage(name, depth + "-bit black", w, h, 1);
    lanes = 6; pitch = w / (lanes + 1);
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            v = base * (1 + 0.6 * x / w + 0.4 * y / h);
            d2 = (x - 0.7 * w) * (x - 0.7 * w) + (y - 0.3 * h) * (y - 0.3 * h);
            v = v + 0.5 * base * exp(-d2 / (2 * (0.2 * w) * (0.2 * w)));
            lane = round(x / pitch);
            if (lane >= 1 && lane <= lanes && abs(x - lane * pitch) < 0.35 * pitch) {
                for (k = 1; k <= 3; k++) {
                    yc = h * k / 4 + 2 * lane;
                    amp = band * (0.3 + 0.7 * lane / lanes) / k;
                    v = v + amp * exp(-(y - yc) * (y - yc) / (2 * 2.5 * 2.5));
                }
            }
            v = v + noise * random("gaussian");
            if (light) v = top - v;
            if (v < 0) v = 0;
            if (v > top) v = top;
            setPixel(x, y, round(v));
        }
    }
    saveAs("Tiff", dir + "/inputs/" + name + ".tif");
    close();
}

images = newArray("dark16", "light16", "dark8", "light8", "dark16-large", "light16-large", "dark8-large", "light8-large");
for (i = 0; i < images.length; i++) {
    name = images[i];
    depth = 16; if (indexOf(name, "8") >= 0 && indexOf(name, "16") < 0) depth = 8;
    light = 0; if (startsWith(name, "light")) light = 1;
    if (endsWith(name, "large")) makeImage(name, 256, 192, depth, light);
    else makeImage(name, 128, 96, depth, light);
}

function run_case(name, radius, options, tag) {
    open(dir + "/inputs/" + name + ".tif");
    run("Subtract Background...", "rolling=" + radius + " " + options);
    saveAs("Tiff", dir + "/outputs/" + name + "_r" + radius + tag + ".tif");
    close();
}

radii = newArray(3, 10, 12, 30, 35, 50, 90);
for (i = 0; i < images.length; i++) {
    name = images[i];
    light = ""; if (startsWith(name, "light")) light = "light ";
    rs = radii;
    if (endsWith(name, "large")) { rs = newArray(1); rs[0] = 110; }
    for (j = 0; j < rs.length; j++) {
        r = rs[j];
        run_case(name, r, light, "");
        run_case(name, r, light + "disable", "_nosmooth");
        run_case(name, r, light + "sliding", "_paraboloid");
        run_case(name, r, light + "sliding disable", "_paraboloid_nosmooth");
        if (r == 10 || r == 50) {
            run_case(name, r, light + "create", "_create");
            run_case(name, r, light + "sliding create", "_paraboloid_create");
        }
    }
}
File.saveString("ImageJ " + getVersion() + "\n", dir + "/IMAGEJ_VERSION");
print("done");
