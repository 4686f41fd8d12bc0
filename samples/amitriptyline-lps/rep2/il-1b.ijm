// Opens the image with the lanes and band boxes blotquant measured.
// A band ROI covers exactly the pixels whose sum is its `volume` in bands.csv
// (on images with dark bands, volume = pixels × full scale − ImageJ's RawIntDen).
open("/work/main/samples/amitriptyline-lps/rep2/il-1b.tif");
roiManager("reset");
roiManager("Open", "/work/main/samples/amitriptyline-lps/rep2/il-1b.zip");
roiManager("Show All with labels");
